package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Stream calls of the scenarios (protocol.md §10, §13): {@code input.call.stream} names the reading
 * (events, lines, bytes), {@code stop_after} closes the stream after that many items. The blocking API
 * is {@code stream()} and its iterators, the async one {@code streamAsync()} and {@code forEach*}.
 */
final class StreamScenarios {
  private StreamScenarios() {}

  /** What a stream call gave its caller: the items read, then the error that ended it (null: none). */
  static final class Result {
    final String mode;
    final List<Object> items = new ArrayList<>();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int attempts;
    int status;
    EasException error;

    Result(String mode) {
      this.mode = mode;
    }

    void add(Object item) {
      if (item instanceof byte[]) {
        bytes.writeBytes((byte[]) item);
      } else {
        items.add(item);
      }
    }

    @Override
    public String toString() {
      return "stream " + mode + " read " + (mode.equals("bytes") ? bytes.size() + " bytes" : items)
          + (error == null ? "" : " then " + error);
    }
  }

  /** Reads a {@code chunks} reply (§10) into the scripted server's form. */
  static void reply(JsonNode r, ScriptedServer.Reply out) {
    if (r.has("chunks")) {
      out.chunks = new ArrayList<>();
      for (JsonNode c : r.get("chunks")) {
        c.fieldNames().forEachRemaining(k -> assertTrue(Set.of("data", "delay_ms").contains(k), "chunk key " + k));
        out.chunks.add(new ScriptedServer.Chunk(SpecTest.bytes(c.get("data")), c.path("delay_ms").asInt(0)));
      }
    }
    if (r.has("end")) {
      out.end = r.get("end").asText();
    }
  }

  /** Runs one stream call on one API; EasExceptions before the stream opened are the outcome itself. */
  static Object perform(EasClient client, JsonNode call, String api) {
    EasRequest req = Scenarios.request(call, call.get("data"));
    String mode = call.get("stream").asText();
    long stopAfter = call.has("stop_after") ? call.get("stop_after").asLong() : Long.MAX_VALUE;
    Result res = new Result(mode);
    EasStream s;
    try {
      if (api.equals("sync")) {
        s = client.stream(req);
      } else {
        s = join(client.streamAsync(req));
      }
    } catch (EasException e) {
      return e;
    }
    res.attempts = s.attempts();
    res.status = s.status();
    try (s) {
      if (api.equals("sync")) {
        Iterable<?> items = mode.equals("events") ? s.events() : mode.equals("lines") ? s.lines() : s.bytes();
        long n = 0;
        if (n < stopAfter) {
          for (Object item : items) {
            res.add(item);
            if (++n >= stopAfter) {
              break;
            }
          }
        }
      } else if (api.equals("publisher") && mode.equals("events")) {
        join(subscribeOneByOne(s, res, stopAfter));
      } else {
        long[] n = {0};
        Consumer<Object> onItem = item -> {
          res.add(item);
          if (++n[0] >= stopAfter) {
            s.close();
          }
        };
        if (stopAfter == 0) {
          s.close();
        }
        CompletableFuture<Void> f = mode.equals("events") ? s.forEachEvent(onItem::accept)
            : mode.equals("lines") ? s.forEachLine(onItem::accept) : s.forEachChunk(onItem::accept);
        join(f);
      }
    } catch (EasException e) {
      res.error = e;
    }
    return res;
  }

  /**
   * Reads the events through {@link EasStream#eventPublisher()} asking for one event at a time, so
   * every scenario also runs under the tightest backpressure; completes as the subscriber is told.
   */
  static CompletableFuture<Void> subscribeOneByOne(EasStream s, Result res, long stopAfter) {
    CompletableFuture<Void> end = new CompletableFuture<>();
    s.eventPublisher().subscribe(new java.util.concurrent.Flow.Subscriber<SseEvent>() {
      private java.util.concurrent.Flow.Subscription sub;
      private long n;

      @Override
      public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
        sub = subscription;
        if (stopAfter == 0) {
          sub.cancel();
          end.complete(null);
        } else {
          sub.request(1);
        }
      }

      @Override
      public void onNext(SseEvent item) {
        res.add(item);
        if (++n >= stopAfter) {
          sub.cancel();
          end.complete(null);
        } else {
          sub.request(1);
        }
      }

      @Override
      public void onError(Throwable t) {
        end.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        end.complete(null);
      }
    });
    return end;
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | CompletionException e) {
      throw EasClient.unwrap(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      throw new AssertionError("the async stream did not finish within 30 s");
    } catch (InterruptedException | CancellationException e) {
      throw new AssertionError(e);
    }
  }

  /** Checks a stream call's outcome: received items, attempts, status, and the error with its events. */
  static void check(JsonNode want, Object got) {
    if (got instanceof EasException && !(got instanceof StreamException)) {
      // Failed before the stream opened: the predict-style checks apply (the caller handles them).
      throw new AssertionError("stream call failed before its headers: " + got, (EasException) got);
    }
    assertTrue(got instanceof Result, "expected a stream, got " + got);
    Result r = (Result) got;
    if (want.has("error")) {
      assertTrue(r.error != null, "expected " + want.get("error").asText() + ", got " + r);
      assertEquals(want.get("error").asText(), r.error.kind(), r.error.getMessage());
      if (want.has("attempts")) {
        assertEquals(want.get("attempts").asInt(), r.error.attempts(), "attempts");
      }
      for (JsonNode m : want.path("message_contains")) {
        assertTrue(r.error.getMessage().contains(m.asText()), "message lacks " + m + ": " + r.error.getMessage());
      }
      StreamException se = (StreamException) r.error;
      if (want.has("status")) {
        assertEquals(want.get("status").asInt(), se.status(), "status");
      }
      if (want.has("bytes_received")) {
        assertEquals(want.get("bytes_received").asLong(), se.bytesReceived(), "bytes_received");
      }
      if (want.has("received")) {
        checkReceived(want.get("received"), r);
        if (r.mode.equals("events")) {
          assertEquals(events(want.get("received")), se.events(), "the error's events");
          assertEquals(want.get("received").size(), se.eventsDelivered(), "the error's events_delivered");
        } else {
          assertEquals(0, se.eventsDelivered(), "events_delivered of a lines or bytes reading");
          assertEquals(List.of(), se.events(), "a lines or bytes reading carries no events");
        }
      }
      return;
    }
    if (r.error != null) {
      throw new AssertionError("stream failed: " + r.error, r.error);
    }
    checkReceived(want.get("received"), r);
    if (want.has("attempts")) {
      assertEquals(want.get("attempts").asInt(), r.attempts, "attempts");
    }
    if (want.has("status")) {
      assertEquals(want.get("status").asInt(), r.status, "status");
    }
  }

  private static void checkReceived(JsonNode want, Result r) {
    switch (r.mode) {
      case "events":
        assertEquals(events(want), r.items, "events received");
        break;
      case "lines":
        List<Object> lines = new ArrayList<>();
        want.forEach(l -> lines.add(l.asText()));
        assertEquals(lines, r.items, "lines received");
        break;
      default:
        assertEquals(new String(SpecTest.bytes(want), StandardCharsets.ISO_8859_1),
            new String(r.bytes.toByteArray(), StandardCharsets.ISO_8859_1), "bytes received");
    }
  }

  static List<Object> events(JsonNode list) {
    List<Object> out = new ArrayList<>();
    for (JsonNode e : list) {
      e.fieldNames().forEachRemaining(k -> assertTrue(Set.of("event", "data", "id", "retry").contains(k), "event key " + k));
      out.add(new SseEvent(e.get("event").asText(), e.get("data").asText(), e.get("id").asText(),
          e.get("retry").isNull() ? null : e.get("retry").asLong()));
    }
    return out;
  }
}
