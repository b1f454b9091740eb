package io.github.easclient.eas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The subset of JSON Schema (2020-12) the spec's schemas use: type, required, properties,
 * additionalProperties, items, $ref to #/$defs, pattern, enum, const, min/max for numbers, lengths and
 * item/property counts. An unknown schema keyword is reported, so a stricter schema cannot be ignored.
 */
final class SchemaCheck {
  private static final java.util.Set<String> KNOWN = java.util.Set.of("$schema", "$id", "title", "description",
      "type", "required", "properties", "additionalProperties", "items", "$ref", "$defs", "pattern", "enum", "const",
      "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
      "minProperties", "maxProperties", "uniqueItems", "$comment", "examples", "default", "oneOf", "anyOf", "allOf",
      "not", "patternProperties", "propertyNames", "prefixItems");

  private final JsonNode root;
  private final List<String> errors = new ArrayList<>();

  private SchemaCheck(JsonNode root) {
    this.root = root;
  }

  static List<String> validate(JsonNode schema, JsonNode doc) {
    SchemaCheck c = new SchemaCheck(schema);
    c.check(schema, doc, "$");
    return c.errors;
  }

  private void check(JsonNode s, JsonNode v, String at) {
    if (s.isBoolean()) {
      if (!s.asBoolean()) {
        errors.add(at + ": not allowed");
      }
      return;
    }
    for (Iterator<String> it = s.fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!KNOWN.contains(k)) {
        errors.add(at + ": schema keyword " + k + " is not checked by this runner");
      }
    }
    if (s.has("$ref")) {
      String ref = s.get("$ref").asText();
      if (!ref.startsWith("#/")) {
        errors.add(at + ": cannot follow $ref " + ref);
        return;
      }
      JsonNode target = root.at(ref.substring(1));
      if (target.isMissingNode()) {
        errors.add(at + ": $ref " + ref + " not found");
        return;
      }
      check(target, v, at);
    }
    if (s.has("type") && !typeOk(s.get("type"), v)) {
      errors.add(at + ": expected type " + s.get("type") + ", got " + v.getNodeType());
      return;
    }
    if (s.has("enum")) {
      boolean any = false;
      for (JsonNode e : s.get("enum")) {
        any |= e.equals(v);
      }
      if (!any) {
        errors.add(at + ": not one of " + s.get("enum"));
      }
    }
    if (s.has("const") && !s.get("const").equals(v)) {
      errors.add(at + ": must be " + s.get("const"));
    }
    if (v.isNumber()) {
      double d = v.asDouble();
      if (s.has("minimum") && d < s.get("minimum").asDouble()) {
        errors.add(at + ": below minimum");
      }
      if (s.has("maximum") && d > s.get("maximum").asDouble()) {
        errors.add(at + ": above maximum");
      }
      if (s.has("exclusiveMinimum") && d <= s.get("exclusiveMinimum").asDouble()) {
        errors.add(at + ": not above exclusiveMinimum");
      }
      if (s.has("exclusiveMaximum") && d >= s.get("exclusiveMaximum").asDouble()) {
        errors.add(at + ": not below exclusiveMaximum");
      }
    }
    if (v.isTextual()) {
      String t = v.asText();
      if (s.has("pattern") && !Pattern.compile(s.get("pattern").asText()).matcher(t).find()) {
        errors.add(at + ": \"" + t + "\" does not match " + s.get("pattern").asText());
      }
      int len = t.codePointCount(0, t.length());
      if (s.has("minLength") && len < s.get("minLength").asInt()) {
        errors.add(at + ": shorter than minLength");
      }
      if (s.has("maxLength") && len > s.get("maxLength").asInt()) {
        errors.add(at + ": longer than maxLength");
      }
    }
    if (v.isArray()) {
      if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
        errors.add(at + ": fewer than minItems");
      }
      if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
        errors.add(at + ": more than maxItems");
      }
      int prefix = 0;
      if (s.has("prefixItems")) {
        prefix = s.get("prefixItems").size();
        for (int k = 0; k < Math.min(prefix, v.size()); k++) {
          check(s.get("prefixItems").get(k), v.get(k), at + "[" + k + "]");
        }
      }
      if (s.has("items")) {
        for (int k = prefix; k < v.size(); k++) {
          check(s.get("items"), v.get(k), at + "[" + k + "]");
        }
      }
      if (s.path("uniqueItems").asBoolean(false)) {
        java.util.Set<JsonNode> seen = new java.util.HashSet<>();
        for (JsonNode e : v) {
          if (!seen.add(e)) {
            errors.add(at + ": duplicate item " + e);
          }
        }
      }
    }
    if (v.isObject()) {
      objectChecks(s, v, at);
    }
    combinators(s, v, at);
  }

  private void objectChecks(JsonNode s, JsonNode v, String at) {
    if (s.has("required")) {
      for (JsonNode r : s.get("required")) {
        if (!v.has(r.asText())) {
          errors.add(at + ": missing required " + r.asText());
        }
      }
    }
    if (s.has("minProperties") && v.size() < s.get("minProperties").asInt()) {
      errors.add(at + ": fewer than minProperties");
    }
    if (s.has("maxProperties") && v.size() > s.get("maxProperties").asInt()) {
      errors.add(at + ": more than maxProperties");
    }
    JsonNode props = s.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> f = it.next();
      String p = at + "." + f.getKey();
      if (s.has("propertyNames")) {
        check(s.get("propertyNames"), new com.fasterxml.jackson.databind.node.TextNode(f.getKey()), p + "(name)");
      }
      boolean matched = false;
      if (props.has(f.getKey())) {
        check(props.get(f.getKey()), f.getValue(), p);
        matched = true;
      }
      if (s.has("patternProperties")) {
        for (Iterator<Map.Entry<String, JsonNode>> pp = s.get("patternProperties").fields(); pp.hasNext();) {
          Map.Entry<String, JsonNode> e = pp.next();
          if (Pattern.compile(e.getKey()).matcher(f.getKey()).find()) {
            check(e.getValue(), f.getValue(), p);
            matched = true;
          }
        }
      }
      if (!matched && s.has("additionalProperties")) {
        check(s.get("additionalProperties"), f.getValue(), p);
      }
    }
  }

  private void combinators(JsonNode s, JsonNode v, String at) {
    if (s.has("allOf")) {
      for (JsonNode sub : s.get("allOf")) {
        check(sub, v, at);
      }
    }
    if (s.has("anyOf") || s.has("oneOf")) {
      String kw = s.has("anyOf") ? "anyOf" : "oneOf";
      int ok = 0;
      for (JsonNode sub : s.get(kw)) {
        if (validate(root, sub, v).isEmpty()) {
          ok++;
        }
      }
      if (ok == 0 || (kw.equals("oneOf") && ok > 1)) {
        errors.add(at + ": " + kw + " matched " + ok + " subschemas");
      }
    }
    if (s.has("not") && validate(root, s.get("not"), v).isEmpty()) {
      errors.add(at + ": matches a 'not' schema");
    }
  }

  private static List<String> validate(JsonNode root, JsonNode sub, JsonNode v) {
    SchemaCheck c = new SchemaCheck(root);
    c.check(sub, v, "$");
    return c.errors;
  }

  private static boolean typeOk(JsonNode type, JsonNode v) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeOk(t, v)) {
          return true;
        }
      }
      return false;
    }
    switch (type.asText()) {
      case "object": return v.isObject();
      case "array": return v.isArray();
      case "string": return v.isTextual();
      case "integer": return v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
      case "number": return v.isNumber();
      case "boolean": return v.isBoolean();
      case "null": return v.isNull();
      default: return false;
    }
  }
}
