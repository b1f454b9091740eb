package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * vectors/sse.json (STREAM-7..9): the pure line decoder and event parser fed the case's chunks, then
 * the same input re-split at every byte boundary (protocol.md §11): every split must give the same
 * items and the same error.
 */
final class StreamVectors {
  /** Inputs longer than this run only as given (§11). */
  static final int RESPLIT_MAX = 4096;

  private StreamVectors() {}

  static void sse(SpecCase c) {
    if (c.hasIn("kept")) {
      EventTail tail = new EventTail(Defaults.STREAM_MAX_LINE_BYTES);
      int k = 0;
      for (JsonNode size : c.in("kept")) {
        tail.add(new SseEvent("message", Integer.toString(k++), "", null), size.asLong());
      }
      assertEquals(c.ex("kept").asInt(), tail.kept().size(), "events kept");
      assertEquals(k, tail.delivered(), "events delivered");
      return;
    }
    if (c.hasIn("content_type")) {
      String ct = Vectors.textOrNull(c.in("content_type"));
      assertEquals(c.ex("event_stream").asBoolean(), StreamReader.isEventStream(ct), "is text/event-stream: " + ct);
      return;
    }
    List<byte[]> chunks = new ArrayList<>();
    for (JsonNode ch : c.in("chunks")) {
      chunks.add(chunk(ch));
    }
    List<Object> wantEvents = StreamScenarios.events(c.ex("events"));
    String wantError = c.hasEx("error") ? c.ex("error").asText() : null;
    List<Object> wantLines = null;
    if (c.hasEx("lines")) {
      wantLines = new ArrayList<>();
      for (JsonNode l : c.ex("lines")) {
        wantLines.add(l.asText());
      }
    }
    String wantLinesError = c.hasEx("lines_error") ? c.ex("lines_error").asText() : null;
    for (List<byte[]> split : splits(chunks)) {
      String how = describe(split);
      assertEquals(outcome(wantEvents, wantError), events(split), "events, " + how);
      if (wantLines != null) {
        assertEquals(outcome(wantLines, wantLinesError), lines(split), "lines, " + how);
      }
    }
  }

  private static byte[] chunk(JsonNode ch) {
    if (ch.has("fill")) {
      byte[] b = new byte[ch.get("fill").get("count").asInt()];
      Arrays.fill(b, (byte) Integer.parseInt(ch.get("fill").get("byte").asText(), 16));
      return b;
    }
    return SpecTest.bytes(ch);
  }

  /** The case as given, then (inputs up to 4,096 bytes) whole, in two at every k, and byte by byte. */
  static List<List<byte[]>> splits(List<byte[]> given) {
    List<List<byte[]>> out = new ArrayList<>();
    out.add(given);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    given.forEach(all::writeBytes);
    byte[] b = all.toByteArray();
    if (b.length > RESPLIT_MAX) {
      return out;
    }
    out.add(List.of(b));
    for (int k = 1; k < b.length; k++) {
      out.add(List.of(Arrays.copyOfRange(b, 0, k), Arrays.copyOfRange(b, k, b.length)));
    }
    List<byte[]> ones = new ArrayList<>();
    for (byte x : b) {
      ones.add(new byte[] {x});
    }
    out.add(ones);
    return out;
  }

  private static String describe(List<byte[]> split) {
    StringBuilder s = new StringBuilder("chunk sizes [");
    for (int k = 0; k < split.size() && k < 8; k++) {
      s.append(k > 0 ? "," : "").append(split.get(k).length);
    }
    return s.append(split.size() > 8 ? ",...]" : "]").toString();
  }

  private static List<Object> outcome(List<Object> items, String error) {
    List<Object> out = new ArrayList<>(items);
    out.add(error == null ? "(end)" : error);
    return out;
  }

  /** Events then "(end)" or the error kind. */
  static List<Object> events(List<byte[]> chunks) {
    List<Object> out = new ArrayList<>();
    SseParser p = new SseParser(Defaults.STREAM_MAX_LINE_BYTES);
    try {
      for (byte[] ch : chunks) {
        p.feed(ch, 0, ch.length, out::add);
      }
      p.end();
      out.add("(end)");
    } catch (LineDecoder.Failure f) {
      out.add(kind(f));
    }
    return out;
  }

  /** Lines then "(end)" or the error kind. */
  static List<Object> lines(List<byte[]> chunks) {
    List<Object> out = new ArrayList<>();
    LineDecoder d = new LineDecoder(Defaults.STREAM_MAX_LINE_BYTES);
    try {
      for (byte[] ch : chunks) {
        d.feed(ch, 0, ch.length, out::add);
      }
      String last = d.end();
      if (last != null) {
        out.add(last);
      }
      out.add("(end)");
    } catch (LineDecoder.Failure f) {
      out.add(kind(f));
    }
    return out;
  }

  private static String kind(LineDecoder.Failure f) {
    return f.incomplete ? "StreamIncompleteError" : "StreamProtocolError";
  }
}
