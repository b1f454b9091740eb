package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.TestAbortedException;

/**
 * The shared spec runner (protocol.md §11): one dynamic test per case of every spec/vectors/*.json and
 * spec/scenarios/*.json, named {@code <file>/<case>}, plus one schema check per file. A case whose file
 * has no handler, or whose input/expect has a key the handler did not read, fails. Globs in
 * spec/known-failing/java.txt mark cases expected to fail (a listed case that passes fails the run);
 * spec/not-applicable/java.txt lists cases that cannot apply to Java (skipped, each with its reason).
 */
class SpecTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path SPEC = Paths.get(System.getProperty("eas.spec.dir", "../../spec")).toAbsolutePath().normalize();

  private static final Map<String, Consumer<SpecCase>> HANDLERS = new TreeMap<>();

  static {
    HANDLERS.put("vectors/endpoint", Vectors::endpoint);
    HANDLERS.put("vectors/headers", Vectors::headers);
    HANDLERS.put("vectors/auth_hmac", Vectors::authHmac);
    HANDLERS.put("vectors/defaults", Vectors::defaults);
    HANDLERS.put("vectors/redaction", Vectors::redaction);
    HANDLERS.put("vectors/backoff", Vectors::backoff);
    HANDLERS.put("vectors/retry_after", Vectors::retryAfter);
    HANDLERS.put("vectors/retry_decision", Vectors::retryDecision);
    HANDLERS.put("vectors/error_mapping", Vectors::errorMapping);
    HANDLERS.put("vectors/discovery_parse", Vectors::discoveryParse);
    HANDLERS.put("vectors/host_pick", Vectors::hostPick);
    HANDLERS.put("vectors/payloads", Payloads::run);
    HANDLERS.put("vectors/error_kinds", Vectors::errorKinds);
    HANDLERS.put("vectors/attempt_bounds", Vectors::attemptBounds);
    HANDLERS.put("vectors/header_checks", Vectors::headerChecks);
    HANDLERS.put("vectors/redaction_order", Vectors::redactionOrder);
    HANDLERS.put("vectors/sse", StreamVectors::sse);
    HANDLERS.put("vectors/chat", ChatVectors::run);
    HANDLERS.put("vectors/retry_budget", BackpressureVectors::retryBudget);
    HANDLERS.put("vectors/adaptive_limit", BackpressureVectors::adaptiveLimit);
    HANDLERS.put("scenarios/*", Scenarios::run);
  }

  @TestFactory
  @org.junit.jupiter.api.DisplayName("spec")
  Stream<DynamicTest> spec() throws IOException {
    return cases(List.of("vectors", "scenarios"), null, "");
  }

  /** The scenarios again on the other engine (vectors do no I/O): named {@code <file>/<case> [java.net.http]}. */
  @TestFactory
  @org.junit.jupiter.api.DisplayName("spec on java.net.http")
  Stream<DynamicTest> scenariosOnJavaNetHttp() throws IOException {
    return cases(List.of("scenarios"), HttpEngine.JAVA_NET_HTTP, " [java.net.http]");
  }

  private static Stream<DynamicTest> cases(List<String> dirs, HttpEngine engine, String suffix) throws IOException {
    Map<Pattern, String> knownFailing = listed("known-failing/java.txt", false);
    Map<Pattern, String> notApplicable = listed("not-applicable/java.txt", true);
    List<DynamicTest> tests = new ArrayList<>();
    for (String dir : dirs) {
      List<Path> files;
      try (Stream<Path> s = Files.list(SPEC.resolve(dir))) {
        files = s.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
      }
      for (Path f : files) {
        String stem = f.getFileName().toString().replaceAll("\\.json$", "");
        JsonNode doc;
        try {
          doc = JSON.readTree(f.toFile());
        } catch (IOException e) {
          // One unreadable file fails its own test; the other files still run.
          tests.add(DynamicTest.dynamicTest(stem + "#parse", () -> fail(f + " is not valid JSON: " + e.getMessage())));
          continue;
        }
        // Spec v2 has one strict schema per vector file; v1 one schema per directory.
        Path perFile = SPEC.resolve("schema").resolve(dir).resolve(stem + ".schema.json");
        Path schemaPath = Files.exists(perFile) ? perFile
            : SPEC.resolve("schema").resolve(dir.equals("vectors") ? "vector.schema.json" : "scenario.schema.json");
        String schemaName = SPEC.relativize(schemaPath).toString();
        if (engine == null) {
          tests.add(DynamicTest.dynamicTest(stem + "#schema", () -> {
            assertTrue(Files.exists(schemaPath), "no schema for " + stem + ": expected " + schemaName);
            JsonNode schema = JSON.readTree(schemaPath.toFile());
            List<String> errors = SchemaCheck.validate(schema, doc);
            assertTrue(errors.isEmpty(), stem + " does not match " + schemaName + ": " + errors);
          }));
        }
        Consumer<SpecCase> handler = HANDLERS.getOrDefault(dir + "/" + stem, HANDLERS.get(dir + "/*"));
        for (JsonNode c : doc.path("cases")) {
          SpecCase sc = new SpecCase(stem, c);
          tests.add(DynamicTest.dynamicTest(sc.id() + suffix, wrap(sc, handler, knownFailing, notApplicable, engine)));
        }
      }
    }
    return tests.stream();
  }

  private static Executable wrap(SpecCase sc, Consumer<SpecCase> handler, Map<Pattern, String> knownFailing,
      Map<Pattern, String> notApplicable, HttpEngine engine) {
    return () -> {
      String na = match(notApplicable, sc.id());
      if (na != null) {
        throw new TestAbortedException("not applicable to Java: " + na);
      }
      boolean listed = match(knownFailing, sc.id()) != null;
      Throwable failure = null;
      try {
        if (handler == null) {
          fail("the Java runner has no handler for " + sc.file + " cases");
        }
        Scenarios.ENGINE.set(engine);
        try {
          handler.accept(sc);
        } finally {
          Scenarios.ENGINE.remove();
        }
        List<String> unread = sc.unread();
        if (!unread.isEmpty()) {
          fail("the Java runner does not understand " + unread + " of this case");
        }
      } catch (AssertionError | RuntimeException e) {
        failure = e;
      }
      if (listed && failure == null) {
        fail(sc.id() + " passes but is listed in spec/known-failing/java.txt: remove it from the list");
      }
      if (listed) {
        throw new TestAbortedException("known failing: " + failure);
      }
      if (failure instanceof AssertionError) {
        throw new AssertionError(sc.id() + ": " + failure.getMessage(), failure);
      }
      if (failure != null) {
        throw new AssertionError(sc.id() + " threw " + failure, failure);
      }
    };
  }

  /**
   * A list file (§11): per line a case glob (fnmatch style: {@code *} also crosses '/'), then a space and
   * the reason (required for not-applicable; a leading '#' of the reason is dropped); '#' starts a
   * comment line.
   */
  static Map<Pattern, String> listed(String rel, boolean reasonRequired) throws IOException {
    Map<Pattern, String> out = new java.util.LinkedHashMap<>();
    for (String line : lines(rel)) {
      String[] parts = line.split("\\s+", 2);
      String reason = parts.length > 1 ? parts[1].replaceFirst("^#\\s*", "").trim() : "";
      if (reasonRequired && reason.isEmpty()) {
        throw new AssertionError(rel + ": every line needs a reason: " + line);
      }
      out.put(fnmatch(parts[0]), reason.isEmpty() ? "listed" : reason);
    }
    return out;
  }

  static Pattern fnmatch(String glob) {
    StringBuilder re = new StringBuilder();
    for (int k = 0; k < glob.length(); k++) {
      char ch = glob.charAt(k);
      if (ch == '*') {
        re.append(".*");
      } else if (ch == '?') {
        re.append('.');
      } else if (ch == '[') {
        int close = glob.indexOf(']', k + 1);
        if (close < 0) {
          re.append("\\[");
        } else {
          String body = glob.substring(k + 1, close);
          re.append('[').append(body.startsWith("!") ? "^" + Pattern.quote(body.substring(1)) : Pattern.quote(body))
              .append(']');
          k = close;
        }
      } else {
        re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(re.toString());
  }

  private static String match(Map<Pattern, String> list, String id) {
    for (Map.Entry<Pattern, String> e : list.entrySet()) {
      if (e.getKey().matcher(id).matches()) {
        return e.getValue();
      }
    }
    return null;
  }

  private static List<String> lines(String rel) throws IOException {
    Path p = SPEC.resolve(rel);
    if (!Files.exists(p)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(p)) {
      String t = line.trim();
      if (!t.isEmpty() && !t.startsWith("#")) {
        out.add(t);
      }
    }
    return out;
  }

  /** Bytes written as {"hex"}, {"text"} or {"json"} (§10). */
  static byte[] bytes(JsonNode b) {
    if (b.has("hex")) {
      return hex(b.get("hex").asText());
    }
    if (b.has("text")) {
      return b.get("text").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    if (b.has("json")) {
      try {
        return JSON.writeValueAsBytes(b.get("json"));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("unknown bytes form " + b);
  }

  static byte[] hex(String h) {
    byte[] out = new byte[h.length() / 2];
    for (int k = 0; k < out.length; k++) {
      out[k] = (byte) Integer.parseInt(h.substring(2 * k, 2 * k + 2), 16);
    }
    return out;
  }

  static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x & 0xff));
    }
    return s.toString();
  }

  /** Asserts that {@code run} throws an EasException of the spec kind {@code kind}; returns it. */
  static EasException expectKind(String kind, Runnable run) {
    try {
      run.run();
    } catch (EasException e) {
      assertEquals(kind, e.kind(), "error kind (" + e.getMessage() + ")");
      return e;
    }
    throw new AssertionError("expected " + kind + ", but nothing was thrown");
  }

  static void assertBytes(byte[] expected, byte[] actual, String what) {
    assertEquals(hex(expected), hex(actual), what);
  }
}
