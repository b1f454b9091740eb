// The Java client against the local runtime: the one-liner, a batch of 1,000, async, a TensorFlow
// request and direct (VPC) mode. Run by `make demo-java` (which starts `eas serve` twice), or by hand:
//
//   java -cp clients/java/target/eas-client-0.1.0-SNAPSHOT.jar examples/java/Example.java \
//       <quickstart service URL> <token> <tensor service URL>

import io.github.easclient.eas.EasClient;
import io.github.easclient.eas.EasResult;
import io.github.easclient.eas.EasStatusException;
import io.github.easclient.eas.TFRequest;
import io.github.easclient.eas.TFResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

public class Example {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String token = args[1];
    String tensorUrl = args[2];

    // 1. The one-liner.
    try (EasClient client = EasClient.create(url, token)) {
      String answer = client.predict("2 105");
      System.out.println("one-liner: predict(\"2 105\") -> " + answer);
      check(answer.equals("True"), "one-liner answer");

      // 2. A batch of 1,000 in input order, at most 32 in flight.
      List<byte[]> rows = new ArrayList<>();
      for (int k = 0; k < 1000; k++) {
        rows.add(("1 " + (90 + k % 20)).getBytes(StandardCharsets.UTF_8));
      }
      long t0 = System.nanoTime();
      List<EasResult> results = client.predictMany(rows, 32);
      double ms = (System.nanoTime() - t0) / 1e6;
      long trues = results.stream().filter(r -> new String(r.body(), StandardCharsets.UTF_8).equals("True")).count();
      System.out.printf("batch: %d results in %.0f ms, %d True (expected 350)%n", results.size(), ms, trues);
      check(results.size() == 1000 && trues == 350, "batch results");

      // 3. Async: retries are scheduled, no thread waits.
      CompletableFuture<byte[]> f = client.predictAsync("3 120".getBytes(StandardCharsets.UTF_8));
      String async = new String(f.get(), StandardCharsets.UTF_8);
      System.out.println("async: predictAsync(\"3 120\") -> " + async);
      check(async.equals("True"), "async answer");
    }

    // 4. A typed error: a wrong token is a 401, not retried.
    try (EasClient wrong = EasClient.create(url, "not-the-token")) {
      wrong.predict("2 105");
      check(false, "a wrong token must fail");
    } catch (EasStatusException e) {
      System.out.println("wrong token: " + e.getClass().getSimpleName() + " status=" + e.status()
          + " attempts=" + e.attempts());
      check(e.status() == 401 && e.attempts() == 1, "401 after one attempt");
    }

    // 5. A TensorFlow request to the "tensor sum" processor.
    try (EasClient tensors = EasClient.create(tensorUrl, null)) {
      TFRequest req = TFRequest.builder("serving_default")
          .feed("x", new long[] {2, 2}, new float[] {1f, 2f, 3f, 4.5f})
          .fetch("sum")
          .build();
      TFResponse resp = tensors.predict(req);
      double sum = resp.get("sum").doubles()[0];
      System.out.println("tensor: sum of " + Arrays.toString(new float[] {1f, 2f, 3f, 4.5f}) + " -> " + sum);
      check(sum == 10.5, "tensor sum");
    }

    // 6. Direct mode: the endpoint names the discovery server; calls go straight to the instances.
    String origin = url.substring(0, url.indexOf("/api/predict/"));
    String service = url.substring(url.indexOf("/api/predict/") + "/api/predict/".length());
    try (EasClient direct = EasClient.builder().endpoint(origin).serviceName(service).token(token)
        .directMode(true).build()) {
      int ok = 0;
      for (int k = 0; k < 10; k++) {
        ok += direct.predict("2 105").equals("True") ? 1 : 0;
      }
      System.out.println("direct: " + ok + "/10 calls answered by the instances");
      check(ok == 10, "direct calls");
    }
    System.out.println("java example: all checks passed");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      System.err.println("java example: FAILED: " + what);
      System.exit(1);
    }
  }
}
