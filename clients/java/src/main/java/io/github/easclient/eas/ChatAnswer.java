package io.github.easclient.eas;

import java.util.Map;

/**
 * A chat's answer (STREAM-11): its text, the server's usage object and the finish reason.
 *
 * @param text the reply's text ({@code ""} when its content was null, as for a tool call)
 * @param usage the {@code usage} object as parsed JSON (integers as Long), or null when the server sent none
 * @param finishReason {@code choices[0].finish_reason}, or null
 */
public record ChatAnswer(String text, Map<String, Object> usage, String finishReason) {}
