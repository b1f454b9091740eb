import io.github.easclient.eas.AdaptiveConcurrency;
import io.github.easclient.eas.EasClient;
import io.github.easclient.eas.EasResult;
import io.github.easclient.eas.RetryBudget;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Back-pressure (protocol §14) for the Java client, against the same service as the Python section
 * (benchmarks/sections/backpressure.py): examples/capacity under eas serve in its own process, 2 workers ×
 * 5 ms, queue 4 (450 past 6 in flight). Every count comes from the server's /_admin/stats.
 *
 *   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar benchmarks/java/Backpressure.java [inputs] [calls503]
 *   java -cp … benchmarks/java/Backpressure.java together [inputs] [maxPauseMs]
 *
 * The first form writes the "## Back-pressure" section of benchmarks/results/java.md (replacing an older one);
 * the second runs only the four-client rounds and prints them.
 */
public class Backpressure {
  /**
   * The four-client row is run this many times: one run's fastest/slowest ratio spreads from 1.1 to 1.5 on
   * a shared host (a few refusals at a fair share of 1.5 slots per client decide who pauses), so a single
   * figure says little; the median of the rounds is the figure.
   */
  static final int ROUNDS = 3;
  static final String TOKEN = "bench-backpressure-token";
  static final Path ROOT = Paths.get("").toAbsolutePath();
  static final HttpClient ADMIN = HttpClient.newHttpClient();

  record Run(String name, int inputs, double seconds, int failed, int requests, Map<String, Integer> statuses) {
    double goodput() {
      return (inputs - failed) / seconds;
    }

    double refused() {
      return (statuses.getOrDefault("450", 0) + statuses.getOrDefault("429", 0)) / (double) Math.max(1, requests);
    }

    double extra() {
      return Math.max(0, requests - inputs) / (double) Math.max(1, requests);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("together")) {
      together(args.length > 1 ? Integer.parseInt(args[1]) : 5000, args.length > 2 ? Long.parseLong(args[2]) : 0);
      return;
    }
    int inputs = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int calls503 = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    List<Run> runs = new ArrayList<>();
    List<double[]> together = new ArrayList<>();
    String python = System.getenv("EAS_PYTHON") != null ? System.getenv("EAS_PYTHON")
        : ROOT.resolve(".venv/bin/python").toFile().exists() ? ROOT.resolve(".venv/bin/python").toString() : "python3";
    try (Service s = new Service(python, null)) {
      batch(s.base, "warm-up", 50, 4, null, null);
      runs.add(batch(s.base, "fixed 6 (the measured capacity), maxRetries 0", inputs, 6, null, b -> b.maxRetries(0)));
      runs.add(batch(s.base, "adaptive: AdaptiveConcurrency.auto() (max 64)", inputs, 0, AdaptiveConcurrency.auto(),
          null));
      runs.add(batch(s.base, "fixed 64, no budget (before)", inputs, 64, null, b -> b.retryBudget(null)));
      runs.add(batch(s.base, "fixed 64 with the retry budget", inputs, 64, null, null));
      runs.add(batch(s.base, "adaptive again (second round)", inputs, 0, AdaptiveConcurrency.auto(), null));
      for (int round = 0; round < ROUNDS; round++) {
        together.add(together(s.base, 4, inputs / 4, 0));
      }
    }
    long[] withBudget;
    long[] none;
    try (Service s = new Service(python, "{\"rate_503\": 1.0}")) {
      withBudget = all503(s.base, calls503, true);
    }
    try (Service s = new Service(python, "{\"rate_503\": 1.0}")) {
      none = all503(s.base, calls503, false);
    }
    String report = report(runs, inputs, calls503, withBudget, none, together);
    System.out.println(report);
    Path md = ROOT.resolve("benchmarks/results/java.md");
    String old = Files.exists(md) ? Files.readString(md) : "";
    int at = old.indexOf("\n## Back-pressure");
    if (at >= 0) {
      int end = old.indexOf("\n## ", at + 5);
      old = old.substring(0, at) + (end >= 0 ? old.substring(end) : "");
    }
    Files.writeString(md, old.stripTrailing() + "\n\n" + report);
  }

  /**
   * Only the four-client row, {@code inputs / 4} each, {@link #ROUNDS} times, printed (the results file is left
   * alone). {@code maxPauseMs} above 0 replaces the default {@code maxPause} (250 ms, ADAPT-4); 5000 (the
   * client's {@code backoffMax}) gives the pauses from before the cap, for comparison.
   */
  static void together(int inputs, long maxPauseMs) throws Exception {
    String python = System.getenv("EAS_PYTHON") != null ? System.getenv("EAS_PYTHON")
        : ROOT.resolve(".venv/bin/python").toFile().exists() ? ROOT.resolve(".venv/bin/python").toString() : "python3";
    List<double[]> rounds = new ArrayList<>();
    try (Service s = new Service(python, null)) {
      batch(s.base, "warm-up", 50, 4, null, null);
      for (int round = 0; round < ROUNDS; round++) {
        rounds.add(together(s.base, 4, inputs / 4, maxPauseMs));
      }
    }
    System.out.println(fourClients(rounds, inputs, Double.NaN)
        + (maxPauseMs > 0 ? "(maxPause " + maxPauseMs + " ms)\n" : "(maxPause: the default)\n"));
  }

  interface Options {
    void apply(EasClient.Builder b);
  }

  static Run batch(String base, String name, int inputs, int fixed, AdaptiveConcurrency adaptive, Options opt)
      throws Exception {
    List<byte[]> rows = new ArrayList<>(inputs);
    for (int k = 0; k < inputs; k++) {
      rows.add(("row-" + k).getBytes(StandardCharsets.UTF_8));
    }
    Map<String, Object> before = stats(base);
    EasClient.Builder b = EasClient.builder().endpoint(base + "/api/predict/capacity").token(TOKEN);
    if (opt != null) {
      opt.apply(b);
    }
    long t0 = System.nanoTime();
    List<EasResult> rs;
    try (EasClient client = b.build()) {
      rs = adaptive != null ? client.predictMany(rows, adaptive) : client.predictMany(rows, fixed);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    int failed = 0;
    for (int k = 0; k < rs.size(); k++) {
      EasResult r = rs.get(k);
      if (!r.isSuccess()) {
        failed++;
      } else if (!new String(r.body(), StandardCharsets.UTF_8).equals("row-" + k)) {
        throw new AssertionError("an answer landed at the wrong index: " + k);
      }
    }
    Map<String, Object> after = stats(base);
    Map<String, Integer> statuses = new TreeMap<>();
    @SuppressWarnings("unchecked")
    Map<String, Integer> a = (Map<String, Integer>) after.get("statuses");
    @SuppressWarnings("unchecked")
    Map<String, Integer> bf = (Map<String, Integer>) before.get("statuses");
    a.forEach((k, v) -> {
      int d = v - bf.getOrDefault(k, 0);
      if (d != 0) {
        statuses.put(k, d);
      }
    });
    int requests = (Integer) after.get("requests") - (Integer) before.get("requests");
    Run run = new Run(name, inputs, seconds, failed, requests, statuses);
    System.err.printf("%s: %.2f s, %d failed, %d requests %s%n", name, seconds, failed, requests, statuses);
    return run;
  }

  /** Attempts the service saw for {@code calls} calls (maxRetries 3, backoff base 10 ms), seconds, denied. */
  static long[] all503(String base, int calls, boolean budget) throws Exception {
    List<byte[]> rows = new ArrayList<>();
    for (int k = 0; k < calls; k++) {
      rows.add("x".getBytes(StandardCharsets.UTF_8));
    }
    EasClient.Builder b = EasClient.builder().endpoint(base + "/api/predict/capacity").token(TOKEN).maxRetries(3)
        .backoffBase(Duration.ofMillis(10));
    if (!budget) {
      b.retryBudget(null);
    }
    long t0 = System.nanoTime();
    long denied;
    try (EasClient client = b.build()) {
      client.predictMany(rows, 64);
      denied = client.retryBudgetDenied();
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    return new long[] {(Integer) stats(base).get("requests"), ms, denied};
  }

  /** {@code n} clients, each an adaptive batch of {@code each} inputs, started at once: goodputs, then failures. */
  static double[] together(String base, int n, int each, long maxPauseMs) throws Exception {
    List<EasClient> clients = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<double[]>> runs = new ArrayList<>();
    AdaptiveConcurrency cfg = maxPauseMs > 0
        ? AdaptiveConcurrency.builder().maxPause(Duration.ofMillis(maxPauseMs)).build() : AdaptiveConcurrency.auto();
    try {
      for (int c = 0; c < n; c++) {
        clients.add(EasClient.builder().endpoint(base + "/api/predict/capacity").token(TOKEN).build());
      }
      for (int c = 0; c < n; c++) {
        List<byte[]> rows = new ArrayList<>();
        for (int k = 0; k < each; k++) {
          rows.add(("c" + c + "-" + k).getBytes(StandardCharsets.UTF_8));
        }
        long t0 = System.nanoTime();
        runs.add(clients.get(c).predictManyAsync(rows, cfg).thenApply(rs -> {
          long failed = rs.stream().filter(r -> !r.isSuccess()).count();
          long t1 = System.nanoTime();
          return new double[] {(each - failed) / ((t1 - t0) / 1e9), failed};
        }));
      }
      double[] out = new double[n + 1];
      for (int c = 0; c < n; c++) {
        double[] r = runs.get(c).get();
        out[c] = r[0];
        out[n] += r[1];
      }
      return out;
    } finally {
      clients.forEach(EasClient::close);
    }
  }

  static String report(List<Run> runs, int inputs, int calls, long[] budget, long[] none, List<double[]> together) {
    double capacity = runs.get(0).goodput();
    StringBuilder s = new StringBuilder();
    s.append("## Back-pressure (protocol §14): fixed vs adaptive concurrency, retry budget\n\n");
    s.append("Service: `examples/capacity` under `eas serve` in its own process (2 workers × 5 ms, queue 4: 450 past 6\n"
        + "in flight), the Python section's setup. Client: `EasClient.predictMany` (blocking), " + String.format("%,d", inputs)
        + " inputs,\nmax concurrency 64. Measured capacity: the goodput of fixed concurrency 6. Counts are the server's\n"
        + "(`/_admin/stats`). Command: `make bench-java-backpressure`.\n\n");
    s.append("| run | seconds | failed items | goodput (items/s) | vs capacity | requests | 450/429 | retries + put-backs |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Run r : runs) {
      s.append(String.format("| %s | %.2f | %d | %,.0f | %.2f | %,d | %.1f%% | %.1f%% |%n", r.name(), r.seconds(),
          r.failed(), r.goodput(), r.goodput() / capacity, r.requests(), 100 * r.refused(), 100 * r.extra()));
    }
    s.append(fourClients(together, inputs, capacity));
    double secs = budget[1] / 1000.0;
    double bound = 1.1 * calls + 100 + 10 * secs;
    s.append(String.format("%n**A service answering 503 to everything**, %,d calls, maxRetries 3, concurrency 64, backoff base"
        + " 10 ms: with the default budget %,d attempts in %.1f s (%,d retries refused; bound (1 + 0.1) × calls + 100 +"
        + " 10/s × %.1f s = %,.0f); without a budget %,d attempts ((1 + maxRetries) × calls = %,d).%n", calls, budget[0],
        secs, budget[2], secs, bound, none[0], 4 * calls));
    s.append(notes(runs, together));
    return s.toString();
  }

  /** What the figures above say, written from them so a new run cannot leave stale prose behind. */
  static String notes(List<Run> runs, List<double[]> together) {
    Run fixed64 = runs.get(2);
    Run budget = runs.get(3);
    double capacity = runs.get(0).goodput();
    double lo = Double.MAX_VALUE;
    double hi = 0;
    double refusedHi = 0;
    int adaptiveFailed = 0;
    for (Run r : runs) {
      if (r.name().startsWith("adaptive")) {
        lo = Math.min(lo, r.goodput() / capacity);
        hi = Math.max(hi, r.goodput() / capacity);
        refusedHi = Math.max(refusedHi, r.refused());
        adaptiveFailed += r.failed();
      }
    }
    return String.format("%nNotes: one run (Java 17, 2 shared cores with other jobs running), so compare rows within the"
        + " table. `auto()` fails %d items where fixed 64 fails %,d, with at most %.1f%% of requests refused and"
        + " %.2f–%.2f× the goodput of the best fixed setting; each refused item is put back (so retries + put-backs"
        + " equal the 450 share). Fixed 64 with the budget fails most items fast: the budget stops the retry storm"
        + " (%.0f%% extra requests instead of %.0f%%), only adaptive concurrency keeps the items. Four clients at once"
        + " share within a median fastest/slowest of %.2f because a client sitting at `min` (a fair share here is 1.5"
        + " slots) pauses at most `maxPause`, 250 ms by default (ADAPT-4), after a refusal; when that pause could grow"
        + " to `backoffMax` (5 s), the other clients refilled the queue meanwhile and the paused one was refused again"
        + " (`… Backpressure.java together 5000 5000` runs the rounds with those pauses). Each rate is over its own"
        + " run, so their sum overstates the total when they finish at different times. No plot for Java: the Python"
        + " section's `backpressure.png` shows the same limiter.%n", adaptiveFailed, fixed64.failed(), 100 * refusedHi,
        lo, hi, 100 * budget.extra(), 100 * fixed64.extra(), medianRatio(together));
  }

  static double medianRatio(List<double[]> rounds) {
    double[] ratios = new double[rounds.size()];
    for (int r = 0; r < rounds.size(); r++) {
      double[] g = rounds.get(r);
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (int c = 0; c < g.length - 1; c++) {
        lo = Math.min(lo, g[c]);
        hi = Math.max(hi, g[c]);
      }
      ratios[r] = hi / lo;
    }
    Arrays.sort(ratios);
    return ratios[ratios.length / 2];
  }

  /** The four-client rounds: each round's goodputs and fastest/slowest, then the median ratio. */
  static String fourClients(List<double[]> rounds, int inputs, double capacity) {
    StringBuilder each = new StringBuilder();
    double[] ratios = new double[rounds.size()];
    long failed = 0;
    for (int r = 0; r < rounds.size(); r++) {
      double[] g = rounds.get(r);
      int n = g.length - 1;
      double lo = Double.MAX_VALUE;
      double hi = 0;
      double sum = 0;
      StringBuilder rates = new StringBuilder();
      for (int c = 0; c < n; c++) {
        lo = Math.min(lo, g[c]);
        hi = Math.max(hi, g[c]);
        sum += g[c];
        rates.append(c > 0 ? ", " : "").append(String.format("%,.0f", g[c]));
      }
      ratios[r] = hi / lo;
      failed += (long) g[n];
      each.append(String.format("%s round %d: %s items/s (total %,.0f%s), fastest/slowest %.2f", r > 0 ? ";" : "",
          r + 1, rates, sum, Double.isNaN(capacity) ? "" : String.format(", %.2f× capacity", sum / capacity), ratios[r]));
    }
    double[] sorted = ratios.clone();
    Arrays.sort(sorted);
    return String.format("%n**Four adaptive clients at once** (%,d inputs each, `predictManyAsync(…, auto())`, %d rounds):%s."
        + " Median fastest/slowest %.2f; failed items %d.%n", inputs / 4, rounds.size(), each, sorted[sorted.length / 2],
        failed);
  }

  static Map<String, Object> stats(String base) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/_admin/stats")).header("Authorization", TOKEN).build();
    String body = ADMIN.send(req, HttpResponse.BodyHandlers.ofString()).body();
    Map<String, Object> out = new TreeMap<>();
    Matcher m = Pattern.compile("\"requests\"\\s*:\\s*(\\d+)").matcher(body);
    out.put("requests", m.find() ? Integer.parseInt(m.group(1)) : 0);
    Map<String, Integer> statuses = new TreeMap<>();
    Matcher sm = Pattern.compile("\"statuses\"\\s*:\\s*\\{([^}]*)\\}").matcher(body);
    if (sm.find()) {
      Matcher e = Pattern.compile("\"(\\d+)\"\\s*:\\s*(\\d+)").matcher(sm.group(1));
      while (e.find()) {
        statuses.put(e.group(1), Integer.parseInt(e.group(2)));
      }
    }
    out.put("statuses", statuses);
    return out;
  }

  /** eas serve examples/capacity on a free port, stopped on close. */
  static final class Service implements AutoCloseable {
    final Process proc;
    final String base;

    Service(String python, String faults) throws Exception {
      int port;
      try (ServerSocket ss = new ServerSocket(0)) {
        port = ss.getLocalPort();
      }
      List<String> cmd = new ArrayList<>();
      if (Files.exists(Paths.get("/usr/bin/taskset"))) {
        cmd.addAll(List.of("taskset", "-c", "1"));
      }
      cmd.addAll(List.of(python, "-m", "eas_client", "serve", "examples/capacity/app.py", "--app-json",
          "examples/capacity/app.json", "--port", Integer.toString(port), "--token", TOKEN));
      if (faults != null) {
        cmd.addAll(List.of("--faults", faults));
      }
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.environment().put("PYTHONPATH", ROOT.toString());
      proc = pb.start();
      base = "http://127.0.0.1:" + port;
      long until = System.nanoTime() + 30_000_000_000L;
      while (true) {
        try (Socket so = new Socket("127.0.0.1", port)) {
          break;
        } catch (IOException e) {
          if (!proc.isAlive() || System.nanoTime() > until) {
            throw new IllegalStateException("eas serve did not start on port " + port);
          }
          Thread.sleep(100);
        }
      }
      stats(base);
    }

    @Override
    public void close() throws Exception {
      proc.destroy();
      if (!proc.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        proc.destroyForcibly();
      }
    }
  }
}
