// Java section of the benchmarks: eas-client (default socket engine, and the java.net.http engine)
// against a raw java.net.http loop sending the same headers, a bare-socket floor and the official
// eas-sdk 2.0.3, all against one nginx worker answering "True" (pinned to another core when taskset is
// available). Also predictMany at concurrency 32 against a raw sendAsync pool, and the TF encode and
// decode of 1M float32 against System.arraycopy. Run by `make bench-java`:
//
//   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar benchmarks/java/Bench.java [seconds per row]
//
// Prints a Markdown table; the figures are per run on the machine at hand, not a test.

import io.github.easclient.eas.EasClient;
import io.github.easclient.eas.EasResult;
import io.github.easclient.eas.HttpEngine;
import io.github.easclient.eas.TFRequest;
import io.github.easclient.eas.TFResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.IntSupplier;

public class Bench {
  static final String TOKEN = "bench-token-123";
  static final byte[] BODY = "2 105".getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3.0;
    Path work = Files.createTempDirectory("eas-java-bench");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process nginx = startNginx(work, port);
    try {
      String url = "http://127.0.0.1:" + port + "/api/predict/demo";
      waitUp(url);
      List<String[]> rows = new ArrayList<>();
      // A first round warms the JIT for every side; only the second round is reported.
      sequential(url, Math.min(2.0, seconds));
      concurrent(url, Math.min(2.0, seconds));
      rows.addAll(sequential(url, seconds));
      rows.addAll(concurrent(url, seconds));
      rows.addAll(tensors());
      System.out.println("# Java client benchmark");
      System.out.println();
      System.out.printf("Java %s, %d cores, load average %.2f, %.0f s per row in 1 s slices taking turns with the rows they are compared with, after a warm-up round; target: one nginx"
          + " worker answering \"True\"%s. Client CPU is the JVM's process CPU time per request.%n%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), seconds,
          Files.isExecutable(Path.of("/usr/bin/taskset")) ? " pinned to core 0" : "");
      System.out.println("| case | req/s (or MB/s) | client CPU µs/req | ratio |");
      System.out.println("|---|---:|---:|---:|");
      for (String[] r : rows) {
        System.out.println("| " + String.join(" | ", r) + " |");
      }
    } finally {
      nginx.destroy();
      nginx.waitFor();
    }
  }

  static Process startNginx(Path work, int port) throws IOException {
    Files.createDirectories(work.resolve("tmp"));
    String conf = String.join("\n",
        "daemon off;", "master_process off;", "worker_processes 1;", "pid " + work + "/nginx.pid;",
        "error_log " + work + "/error.log warn;", "events { worker_connections 1024; }", "http {",
        "  access_log off; keepalive_requests 100000000; keepalive_timeout 300s;",
        "  client_body_buffer_size 64k; client_body_temp_path " + work + "/tmp/body;",
        "  proxy_temp_path " + work + "/tmp/p; fastcgi_temp_path " + work + "/tmp/f;",
        "  uwsgi_temp_path " + work + "/tmp/u; scgi_temp_path " + work + "/tmp/s;",
        "  server { listen 127.0.0.1:" + port + "; location /api/predict/ { default_type text/plain; return 200 'True'; } }",
        "}", "");
    Path file = work.resolve("nginx.conf");
    Files.writeString(file, conf);
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/taskset")) && Runtime.getRuntime().availableProcessors() > 1) {
      cmd.addAll(List.of("/usr/bin/taskset", "-c", "0"));
    }
    cmd.addAll(List.of("/usr/sbin/nginx", "-p", work.toString(), "-c", file.toString(), "-e", work + "/error.log"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("out.log").toFile()).start();
  }

  static void waitUp(String url) throws Exception {
    HttpClient c = HttpClient.newHttpClient();
    for (int k = 0; k < 100; k++) {
      try {
        c.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(BODY)).build(),
            HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("nginx did not start");
  }

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Runs the steps (each returns how many requests it made) in turn, in slices of about one second,
   * until each had {@code seconds}: on a shared machine a change of load then falls on every case
   * alike instead of on whichever row ran during it. Returns {req/s, cpu µs/req} per step.
   */
  static double[][] interleaved(double seconds, List<IntSupplier> steps) {
    for (IntSupplier step : steps) {
      slice(Math.min(2.0, seconds), step);
    }
    int slices = Math.max(1, (int) Math.round(seconds));
    double[][] sum = new double[steps.size()][3];
    for (int k = 0; k < slices; k++) {
      for (int i = 0; i < steps.size(); i++) {
        double[] r = slice(seconds / slices, steps.get(i));
        for (int j = 0; j < 3; j++) {
          sum[i][j] += r[j];
        }
      }
    }
    double[][] out = new double[steps.size()][];
    for (int i = 0; i < steps.size(); i++) {
      out[i] = new double[] {sum[i][0] / sum[i][1], sum[i][2] / sum[i][0]};
    }
    return out;
  }

  /** {requests, wall seconds, cpu µs} of running {@code step} for about {@code seconds}. */
  static double[] slice(double seconds, IntSupplier step) {
    long n = 0;
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      n += step.getAsInt();
    }
    return new double[] {n, (System.nanoTime() - t0) / 1e9, (cpuNanos() - cpu0) / 1e3};
  }

  static List<String[]> sequential(String url, double seconds) throws Exception {
    HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(BODY))
        .header("Authorization", TOKEN).header("Content-Type", "application/octet-stream")
        .header("User-Agent", "raw-java-net-http").build();
    IntSupplier rawStep = () -> {
      try {
        raw.send(req, HttpResponse.BodyHandlers.ofByteArray());
        return 1;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    Official official = Official.open(url);
    try (EasClient client = EasClient.create(url, TOKEN);
        EasClient jdk = EasClient.builder().endpoint(url).token(TOKEN).engine(HttpEngine.JAVA_NET_HTTP).build()) {
      List<IntSupplier> steps = new ArrayList<>(List.of(rawStep, () -> {
        client.predict(BODY);
        return 1;
      }, () -> {
        jdk.predict(BODY);
        return 1;
      }));
      RawSocket floor = new RawSocket(url);
      steps.add(floor::step);
      if (official != null) {
        steps.add(official::predict);
      }
      double[][] m = interleaved(seconds, steps);
      floor.close();
      double[] r = m[0];
      double[] e = m[1];
      double[] j = m[2];
      List<String[]> rows = new ArrayList<>(List.of(
          new String[] {"raw java.net.http send() loop", fmt(r[0]), fmt(r[1]), "1.00"},
          new String[] {"eas-client predict(byte[]) (default engine: sockets)", fmt(e[0]), fmt(e[1]),
              String.format("%.2fx req/s, %.2fx CPU", e[0] / r[0], e[1] / r[1])},
          new String[] {"eas-client predict(byte[]), engine(JAVA_NET_HTTP)", fmt(j[0]), fmt(j[1]),
              String.format("%.2fx req/s, %.2fx CPU", j[0] / r[0], j[1] / r[1])},
          new String[] {"floor: one socket, prebuilt request bytes, minimal parse", fmt(m[3][0]), fmt(m[3][1]),
              String.format("%.2fx req/s, %.2fx CPU (eas-client: %.2fx its req/s)", m[3][0] / r[0], m[3][1] / r[1],
                  e[0] / m[3][0])}));
      if (official != null) {
        double[] o = m[4];
        rows.add(new String[] {"official eas-sdk 2.0.3 predict(byte[])", fmt(o[0]), fmt(o[1]),
            String.format("%.2fx req/s, %.2fx CPU (eas-client: %.2fx its req/s, %.2fx its CPU)", o[0] / r[0],
                o[1] / r[1], e[0] / o[0], e[1] / o[1])});
      }
      return rows;
    } finally {
      if (official != null) {
        official.close();
      }
    }
  }

  /**
   * The floor of a sequential loop in Java: one kept-alive socket, the request's bytes built once,
   * the answer read by finding the end of the headers and the Content-Length. No timeouts, no
   * checks, nothing a client can ship; it shows how much of the round trip is the client's.
   */
  static final class RawSocket {
    private final java.net.Socket socket;
    private final java.io.InputStream in;
    private final java.io.OutputStream out;
    private final byte[] request;
    private final byte[] buf = new byte[8192];

    RawSocket(String url) throws IOException {
      URI u = URI.create(url);
      socket = new java.net.Socket(u.getHost(), u.getPort());
      socket.setTcpNoDelay(true);
      in = socket.getInputStream();
      out = socket.getOutputStream();
      byte[] head = ("POST " + u.getPath() + " HTTP/1.1\r\nHost: " + u.getAuthority() + "\r\nAuthorization: " + TOKEN
          + "\r\nContent-Type: application/octet-stream\r\nUser-Agent: raw-socket\r\nContent-Length: " + BODY.length
          + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
      request = java.util.Arrays.copyOf(head, head.length + BODY.length);
      System.arraycopy(BODY, 0, request, head.length, BODY.length);
    }

    int step() {
      try {
        out.write(request);
        int n = 0;
        while (true) {
          int r = in.read(buf, n, buf.length - n);
          if (r < 0) {
            throw new IOException("closed");
          }
          n += r;
          int end = indexOf(buf, n, "\r\n\r\n");
          if (end >= 0) {
            String head = new String(buf, 0, end, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            int at = head.indexOf("content-length:") + 15;
            int eol = head.indexOf('\r', at);
            int length = Integer.parseInt(head.substring(at, eol < 0 ? head.length() : eol).trim());
            if (n >= end + 4 + length) {
              return 1;
            }
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private static int indexOf(byte[] b, int n, String s) {
      outer:
      for (int k = 0; k + s.length() <= n; k++) {
        for (int j = 0; j < s.length(); j++) {
          if (b[k + j] != s.charAt(j)) {
            continue outer;
          }
        }
        return k;
      }
      return -1;
    }

    void close() throws IOException {
      socket.close();
    }
  }

  /**
   * The official SDK, when its jars are on the classpath (make bench-java resolves them in this
   * directory's pom, apart from the client). Reflection keeps this file compilable without them.
   */
  static final class Official {
    private final Class<?> pc;
    private final Object client;
    private final java.lang.reflect.Method predict;

    private Official(Class<?> pc, Object client) throws ReflectiveOperationException {
      this.pc = pc;
      this.client = client;
      this.predict = pc.getMethod("predict", byte[].class);
    }

    static Official open(String url) throws Exception {
      Class<?> pc;
      try {
        pc = Class.forName("com.aliyun.openservices.eas.predict.http.PredictClient");
      } catch (ClassNotFoundException e) {
        return null;
      }
      Class<?> hc = Class.forName("com.aliyun.openservices.eas.predict.http.HttpConfig");
      Object client = pc.getConstructor(hc).newInstance(hc.getConstructor().newInstance());
      // The official SDK wants host:port (a scheme would be doubled) and the model name apart.
      String hostPort = url.substring("http://".length(), url.indexOf("/api/predict/"));
      pc.getMethod("setEndpoint", String.class).invoke(client, hostPort);
      pc.getMethod("setModelName", String.class).invoke(client, "demo");
      pc.getMethod("setToken", String.class).invoke(client, TOKEN);
      return new Official(pc, client);
    }

    int predict() {
      try {
        predict.invoke(client, (Object) BODY);
        return 1;
      } catch (ReflectiveOperationException ex) {
        throw new IllegalStateException(ex);
      }
    }

    void close() throws ReflectiveOperationException {
      pc.getMethod("shutdown").invoke(client);
    }
  }

  static List<String[]> concurrent(String url, double seconds) throws Exception {
    int batch = 320;
    int conc = 32;
    HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(BODY))
        .header("Authorization", TOKEN).header("Content-Type", "application/octet-stream").build();
    IntSupplier rawStep = () -> {
      Semaphore permits = new Semaphore(conc);
      List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>(batch);
      for (int k = 0; k < batch; k++) {
        permits.acquireUninterruptibly();
        CompletableFuture<HttpResponse<byte[]>> f = raw.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray());
        f.whenComplete((x, y) -> permits.release());
        all.add(f);
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).join();
      return batch;
    };
    List<byte[]> inputs = new ArrayList<>();
    for (int k = 0; k < batch; k++) {
      inputs.add(BODY);
    }
    try (EasClient client = EasClient.create(url, TOKEN);
        EasClient jdk = EasClient.builder().endpoint(url).token(TOKEN).engine(HttpEngine.JAVA_NET_HTTP).build()) {
      double[][] m = interleaved(seconds, List.of(rawStep, () -> client.predictMany(inputs, conc).size(),
          () -> jdk.predictMany(inputs, conc).size()));
      double[] r = m[0];
      double[] e = m[1];
      double[] j = m[2];
      return List.of(
          new String[] {"raw sendAsync pool, 32 in flight", fmt(r[0]), fmt(r[1]), "1.00"},
          new String[] {"eas-client predictMany(…, 32) (default engine: sockets)", fmt(e[0]), fmt(e[1]),
              String.format("%.2fx req/s, %.2fx CPU", e[0] / r[0], e[1] / r[1])},
          new String[] {"eas-client predictMany(…, 32), engine(JAVA_NET_HTTP)", fmt(j[0]), fmt(j[1]),
              String.format("%.2fx req/s, %.2fx CPU", j[0] / r[0], j[1] / r[1])});
    }
  }

  /**
   * Both copy baselines: into a preallocated array (memory bandwidth only), and into a new array
   * ({@code clone()}, one 4 MB allocation plus the copy), which is what Go's copy row and Python's
   * tobytes measure and the least any encode or decode that returns a new array can cost. Encode is
   * {@code toByteArray()} of a built request; "build + encode" adds the tensor's defensive copy of
   * the caller's array. Decode is {@code parse} plus {@code floats()}, which returns a new array, or
   * {@code floats(into)}, which fills one the caller keeps (the preallocated copy's counterpart).
   */
  static List<String[]> tensors() {
    float[] v = new float[1_000_000];
    for (int k = 0; k < v.length; k++) {
      v[k] = k * 0.25f;
    }
    double mb = v.length * 4 / 1e6;
    float[] copy = new float[v.length];
    double copyRate = rate(mb, () -> System.arraycopy(v, 0, copy, 0, v.length));
    double cloneRate = rate(mb, () -> sink(v.clone().length));
    TFRequest built = TFRequest.builder().feed("x", new long[] {1000, 1000}, v).build();
    double enc = rate(mb, () -> sink(built.toByteArray().length));
    double buildEnc = rate(mb,
        () -> sink(TFRequest.builder().feed("x", new long[] {1000, 1000}, v).build().toByteArray().length));
    byte[] resp = built.toByteArray();
    resp[0] = 0x0a; // field 2 (inputs) of a request has the layout of field 1 (outputs) of a response
    double dec = rate(mb, () -> sink(TFResponse.parse(resp).get("x").floats().length));
    float[] into = new float[v.length];
    double decInto = rate(mb, () -> sink(TFResponse.parse(resp).get("x").floats(into).length));
    return List.of(
        new String[] {"System.arraycopy of 1M float32 into a preallocated array (MB/s)", fmt(copyRate), "", "1.00"},
        new String[] {"System.arraycopy into a new array: clone() (MB/s)", fmt(cloneRate), "",
            String.format("%.2fx (1.00)", cloneRate / copyRate)},
        new String[] {"TF encode 1M float32: toByteArray() (MB/s)", fmt(enc), "",
            String.format("%.2fx (%.2fx clone)", enc / copyRate, enc / cloneRate)},
        new String[] {"TF build + encode 1M float32 (MB/s)", fmt(buildEnc), "",
            String.format("%.2fx (%.2fx clone)", buildEnc / copyRate, buildEnc / cloneRate)},
        new String[] {"TF decode 1M float32: parse + floats() (MB/s)", fmt(dec), "",
            String.format("%.2fx (%.2fx clone)", dec / copyRate, dec / cloneRate)},
        new String[] {"TF decode 1M float32 into a preallocated array: parse + floats(into) (MB/s)", fmt(decInto), "",
            String.format("%.2fx (%.2fx clone)", decInto / copyRate, decInto / cloneRate)});
  }

  static long sunk;

  /** Keeps a result alive so the JIT cannot drop the work that made it. */
  static void sink(int n) {
    sunk += n;
  }

  static double rate(double mb, Runnable r) {
    for (int k = 0; k < 20; k++) {
      r.run();
    }
    int n = 0;
    long t0 = System.nanoTime();
    while (System.nanoTime() - t0 < 2_000_000_000L || n < 5) {
      r.run();
      n++;
    }
    return mb * n / ((System.nanoTime() - t0) / 1e9);
  }

  static String fmt(double d) {
    return d >= 100 ? String.format("%,.0f", d) : String.format("%.1f", d);
  }
}
