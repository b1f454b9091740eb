// SSE parse throughput of the Java client: a local stream of 200,000 small events read by
// EasStream (blocking events, lines, and the async forEachEvent) against a raw java.net.http
// BufferedReader.readLine loop over the same stream. Run by `make bench-java-sse`:
//
//   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar benchmarks/java/SseBench.java [rounds]
//
// The server is a raw socket on 127.0.0.1 sending a prebuilt chunked body (16 KiB chunks), so its
// cost is a memcpy; rows take turns round by round and the median round is reported.
//
// With the argument `flat` it instead reads one stream of 1 GiB of events (the same body sent
// repeatedly) through EasStream.events() and prints the peak heap used: run it with a small heap
// (`make bench-java-sse` uses -Xmx64m) to show that memory stays flat (STREAM-9).

import io.github.easclient.eas.EasClient;
import io.github.easclient.eas.EasRequest;
import io.github.easclient.eas.EasStream;
import io.github.easclient.eas.SseEvent;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

public class SseBench {
  static final int EVENTS = 200_000;

  public static void main(String[] args) throws Exception {
    boolean flat = args.length > 0 && args[0].equals("flat");
    int rounds = args.length > 0 && !flat ? Integer.parseInt(args[0]) : 9;
    byte[] raw = body();
    byte[] chunked = chunked(raw, 16 << 10);
    int repeat = flat ? (int) ((1L << 30) / raw.length) + 1 : 1;
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread t = new Thread(() -> serve(server, chunked, repeat), "sse-bench-server");
      t.setDaemon(true);
      t.start();
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/api/predict/llm";
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      try (EasClient client = EasClient.builder().endpoint(url).token("bench-token-123").build()) {
        EasRequest req = EasRequest.builder().text("go").build();
        if (flat) {
          flat(client, req, (long) repeat * raw.length, repeat);
          return;
        }
        Map<String, Callable<Integer>> rows = new LinkedHashMap<>();
        rows.put("raw java.net.http + BufferedReader.readLine (data: lines)", () -> rawLoop(http, url));
        rows.put("EasStream events() (blocking)", () -> events(client, req));
        rows.put("EasStream forEachEvent (async)", () -> async(client, req));
        rows.put("EasStream lines() (blocking)", () -> lines(client, req));
        Map<String, List<Double>> secs = new LinkedHashMap<>();
        rows.keySet().forEach(k -> secs.put(k, new ArrayList<>()));
        for (int r = -2; r < rounds; r++) {
          for (Map.Entry<String, Callable<Integer>> row : rows.entrySet()) {
            long t0 = System.nanoTime();
            int n = row.getValue().call();
            double s = (System.nanoTime() - t0) / 1e9;
            if (n != EVENTS && n != 2 * EVENTS) {
              throw new AssertionError(row.getKey() + " read " + n + " items, expected " + EVENTS);
            }
            if (r >= 0) {
              secs.get(row.getKey()).add(s);
            }
          }
        }
        print(secs, raw.length, rounds);
      }
    }
  }

  /** 200,000 OpenAI-style chunk events of about 60 bytes, then [DONE] is not sent: the count is the check. */
  static byte[] body() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int k = 0; k < EVENTS; k++) {
      b.writeBytes(("data: {\"i\":" + k + ",\"choices\":[{\"delta\":{\"content\":\"tok\"}}]}\n\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    return b.toByteArray();
  }

  static byte[] chunked(byte[] body, int size) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int off = 0; off < body.length; off += size) {
      int n = Math.min(size, body.length - off);
      b.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      b.write(body, off, n);
      b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    b.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return b.toByteArray();
  }

  /** One stream of {@code repeat} copies of the body: events counted, peak heap sampled every 1,000,000 events. */
  static void flat(EasClient client, EasRequest req, long bytes, int repeat) {
    java.lang.management.MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long peak = 0;
    long n = 0;
    long t0 = System.nanoTime();
    try (EasStream s = client.stream(req)) {
      for (SseEvent e : s.events()) {
        if (++n % 1_000_000 == 0) {
          peak = Math.max(peak, mem.getHeapMemoryUsage().getUsed());
        }
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (n != (long) EVENTS * repeat) {
      throw new AssertionError("read " + n + " events, expected " + (long) EVENTS * repeat);
    }
    System.out.printf("%nOne stream of %.2f GiB (%,d events) through EasStream.events() in %.1f s with -Xmx%d MiB:"
        + " peak heap used %.1f MiB (sampled every 1,000,000 events).%n", bytes / (double) (1L << 30), n, secs,
        Runtime.getRuntime().maxMemory() >> 20, peak / 1048576.0);
  }

  static void serve(ServerSocket server, byte[] chunked, int repeat) {
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> {
          try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            int end = chunked.length - 5;
            while (readRequest(in)) {
              out.write(head);
              for (int k = 0; k < repeat; k++) {
                out.write(chunked, 0, end);
              }
              out.write(chunked, end, 5);
              out.flush();
            }
          } catch (Exception e) {
            // the client went away
          }
        });
        t.setDaemon(true);
        t.start();
      } catch (Exception e) {
        return;
      }
    }
  }

  /** Reads one request's head and Content-Length body; false at the end of the connection. */
  static boolean readRequest(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        return false;
      }
      head.append((char) c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
          : (c == '\r' ? 1 : 0);
    }
    int len = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        len = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(len);
    return true;
  }

  static int rawLoop(HttpClient http, String url) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "bench-token-123")
        .header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString("go")).build();
    HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    int n = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("data:")) {
          n++;
        }
      }
    }
    return n;
  }

  static int events(EasClient client, EasRequest req) {
    int n = 0;
    try (EasStream s = client.stream(req)) {
      for (SseEvent e : s.events()) {
        n += e.data().isEmpty() ? 0 : 1;
      }
    }
    return n;
  }

  static int lines(EasClient client, EasRequest req) {
    int n = 0;
    try (EasStream s = client.stream(req)) {
      for (String line : s.lines()) {
        n++;
      }
    }
    return n;
  }

  static int async(EasClient client, EasRequest req) throws Exception {
    int[] n = {0};
    client.streamAsync(req).thenCompose(s -> s.forEachEvent(e -> n[0]++)).get(60, TimeUnit.SECONDS);
    return n[0];
  }

  static void print(Map<String, List<Double>> secs, int bytes, int rounds) {
    System.out.println("# Java SSE parse throughput");
    System.out.println();
    System.out.printf("Java %s, %d cores, load average %.2f; one local stream of %,d events (%.1f MB, 16 KiB"
        + " chunks) per read, %d rounds taking turns after 2 warm-up rounds, median round shown.%n%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), EVENTS, bytes / 1e6, rounds);
    System.out.println("| reader | events/s | MB/s | vs raw readLine loop |");
    System.out.println("|---|---:|---:|---:|");
    double base = 0;
    for (Map.Entry<String, List<Double>> e : secs.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double med = v[v.length / 2];
      if (base == 0) {
        base = med;
      }
      System.out.printf("| %s | %,.0f | %.1f | %.2f× |%n", e.getKey(), EVENTS / med, bytes / 1e6 / med, base / med);
    }
  }
}
