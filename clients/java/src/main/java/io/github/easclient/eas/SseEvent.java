package io.github.easclient.eas;

/**
 * One Server-Sent Event (STREAM-8, the WHATWG event-stream format).
 *
 * <pre>{@code
 * SseEvent e = stream.next();
 * if (e.data().equals("[DONE]")) { ... }
 * e.event();   // "message" unless an event: field named another type
 * e.id();      // the last event ID seen so far ("" when none)
 * e.retry();   // the reconnection time in ms from the last retry: field, or null
 * }</pre>
 *
 * @param event the event type, {@code "message"} by default
 * @param data the data lines joined by {@code \n}
 * @param id the last event ID (persists across events; empty when none was set)
 * @param retry the reconnection time in milliseconds (persists across events), or null when none was set
 */
public record SseEvent(String event, String data, String id, Long retry) {}
