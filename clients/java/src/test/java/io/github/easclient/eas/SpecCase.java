package io.github.easclient.eas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One spec case with its input and expect keys tracked: a key the runner never read fails the case,
 * so a case the runner does not understand yet can never pass silently.
 */
final class SpecCase {
  final String file;
  final String name;
  final JsonNode node;
  private final Set<String> readInput = new HashSet<>();
  private final Set<String> readExpect = new HashSet<>();

  SpecCase(String file, JsonNode node) {
    this.file = file;
    this.name = node.path("name").asText();
    this.node = node;
  }

  String id() {
    return file + "/" + name;
  }

  JsonNode in(String key) {
    readInput.add(key);
    return node.path("input").path(key);
  }

  boolean hasIn(String key) {
    readInput.add(key);
    return node.path("input").has(key);
  }

  JsonNode ex(String key) {
    readExpect.add(key);
    return node.path("expect").path(key);
  }

  boolean hasEx(String key) {
    readExpect.add(key);
    return node.path("expect").has(key);
  }

  /** Keys of input/expect the runner did not look at. */
  List<String> unread() {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = node.path("input").fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!readInput.contains(k)) {
        out.add("input." + k);
      }
    }
    for (Iterator<String> it = node.path("expect").fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!readExpect.contains(k)) {
        out.add("expect." + k);
      }
    }
    return out;
  }
}
