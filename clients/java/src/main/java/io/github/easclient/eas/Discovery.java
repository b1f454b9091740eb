package io.github.easclient.eas;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Direct (VPC) mode: the discovery path and answer (DISC-1, DISC-2). Pure. */
final class Discovery {
  static final String PATH = "/api/v1/servicediscovery/upstreams/";

  /** One instance; {@code key()} is "ip:port". */
  static final class Instance {
    final String ip;
    final int port;
    final int weight;

    Instance(String ip, int port, int weight) {
      this.ip = ip;
      this.port = port;
      this.weight = weight;
    }

    String key() {
      return ip + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Instance && ((Instance) o).ip.equals(ip) && ((Instance) o).port == port
          && ((Instance) o).weight == weight;
    }

    @Override
    public int hashCode() {
      return Objects.hash(ip, port, weight);
    }

    @Override
    public String toString() {
      return key() + "(" + weight + ")";
    }
  }

  private Discovery() {}

  /** {@code /api/v1/servicediscovery/upstreams/<service up to its first '/'>}. */
  static String path(String service) {
    int slash = service.indexOf('/');
    return PATH + Endpoint.encodeQuery(slash >= 0 ? service.substring(0, slash) : service);
  }

  /** Parses an answer into instances in order, weight-0 ones dropped; DiscoveryException otherwise. */
  static List<Instance> parse(byte[] body, String service) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw bad(service, "the answer is not UTF-8");
    }
    Object root;
    try {
      root = Json.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(service, "the answer is not JSON (" + e.getMessage() + ")");
    }
    Object endpoints = root instanceof Map ? ((Map<?, ?>) root).get("endpoints") : null;
    Object items = endpoints instanceof Map ? ((Map<?, ?>) endpoints).get("items") : null;
    if (!(items instanceof List)) {
      throw bad(service, "expected {\"endpoints\": {\"items\": [...]}}");
    }
    List<Instance> out = new ArrayList<>();
    int n = 0;
    for (Object it : (List<?>) items) {
      Instance inst = item(it, n++, service);
      if (inst.weight > 0) {
        out.add(inst);
      }
    }
    if (out.isEmpty()) {
      throw bad(service, "no instance with a weight above 0 (is the service running?)");
    }
    return out;
  }

  private static Instance item(Object it, int n, String service) {
    if (!(it instanceof Map)) {
      throw bad(service, "item " + n + " is not an object");
    }
    Map<?, ?> m = (Map<?, ?>) it;
    Object ip = m.get("ip");
    if (!(ip instanceof String) || ((String) ip).isEmpty()) {
      throw bad(service, "item " + n + " has no \"ip\" string");
    }
    for (char c : ((String) ip).toCharArray()) {
      if (Character.isWhitespace(c) || c == '/' || c == '?' || c == '#' || c == '@' || Character.isISOControl(c)) {
        throw bad(service, "item " + n + " has an invalid ip");
      }
    }
    Object port = m.get("port");
    if (!(port instanceof Long) || (Long) port < 1 || (Long) port > 65535) {
      throw bad(service, "item " + n + " needs an integer \"port\" in 1-65535");
    }
    Object weight = m.containsKey("weight") ? m.get("weight") : Long.valueOf(100);
    if (!(weight instanceof Long) || (Long) weight < 0 || (Long) weight > Integer.MAX_VALUE) {
      throw bad(service, "item " + n + " needs an integer \"weight\" >= 0");
    }
    return new Instance((String) ip, (int) (long) (Long) port, (int) (long) (Long) weight);
  }

  private static DiscoveryException bad(String service, String what) {
    return new DiscoveryException("discovery for service " + service + ": " + what, null, null);
  }

  static boolean sameSet(List<Instance> a, List<Instance> b) {
    return new HashSet<>(a).equals(new HashSet<>(b));
  }
}
