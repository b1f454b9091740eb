package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The client against the real local runtime over real sockets. */
class LocalRuntimeTest {
  @Test
  void quickstartAnswersRawSignedBatchAndDirectCalls() throws Exception {
    try (LocalRuntime rt = new LocalRuntime("examples/quickstart/app.py", "--service", "demo", "--token", "secret-token-1",
        "--instances", "2")) {
      try (EasClient client = EasClient.create(rt.url, "secret-token-1")) {
        assertEquals("True", client.predict("2 105"));
        assertEquals("False", new String(client.predict("2 104".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        List<byte[]> inputs = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
          inputs.add(("1 " + (100 + k)).getBytes(StandardCharsets.UTF_8));
        }
        List<EasResult> results = client.predictMany(inputs, 8);
        for (int k = 0; k < 200; k++) {
          assertEquals(k > 2 ? "True" : "False", new String(results.get(k).body(), StandardCharsets.UTF_8), "input " + k);
        }
        assertEquals("True", new String(client.predictAsync("2 105".getBytes(StandardCharsets.UTF_8)).get(),
            StandardCharsets.UTF_8));
      }
      try (EasClient signed = EasClient.builder().endpoint(rt.url).token("secret-token-1").signatureAuth(true).build()) {
        assertEquals("True", signed.predict("2 105"));
      }
      try (EasClient wrong = EasClient.builder().endpoint(rt.url).token("wrong-token-123").build()) {
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> wrong.predict("2 105"));
        assertEquals(401, e.status());
        assertEquals(1, e.attempts(), "a wrong token is not retried");
        assertTrue(e.requestId() != null && !e.requestId().isEmpty(), "the runtime sends X-Request-Id");
        assertTrue(!e.getMessage().contains("wrong-token-123"));
      }
      try (EasClient direct = EasClient.builder().endpoint(rt.origin()).serviceName("demo").token("secret-token-1")
          .directMode(true).build()) {
        for (int k = 0; k < 6; k++) {
          assertEquals("True", direct.predict("2 105"));
        }
      }
    }
  }

  @Test
  void tensorProcessorEchoesFeedsAndSums() throws Exception {
    try (LocalRuntime rt = new LocalRuntime("examples/tensor/app.py", "--service", "tensor");
        EasClient client = EasClient.create(rt.url, null)) {
      TFRequest req = TFRequest.builder("serving_default")
          .feed("x", new long[] {2, 2}, new float[] {1, 2, 3, 4.5f})
          .feed("ids", new long[][] {{1, 2, 3}})
          .feed("words", new String[] {"日本", "ok"})
          .build();
      TFResponse resp = client.predict(req);
      assertEquals(Set.of("x", "ids", "words", "sum"), resp.keys());
      assertArrayEquals(new float[] {1, 2, 3, 4.5f}, resp.get("x").floats());
      assertArrayEquals(new long[] {2, 2}, resp.get("x").shape());
      assertArrayEquals(new long[] {1, 2, 3}, resp.get("ids").longs());
      assertArrayEquals(new String[] {"日本", "ok"}, resp.get("words").strings());
      assertEquals(16.5, resp.get("sum").doubles()[0], 1e-9);
      assertEquals(0, resp.get("sum").shape().length, "sum is a scalar");
    }
  }
}
