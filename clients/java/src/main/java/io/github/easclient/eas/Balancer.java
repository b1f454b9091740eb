package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Smooth weighted round robin with cool-offs (DISC-4, DISC-5, DISC-6). Pure apart from its own state:
 * the time is passed in, in seconds. Not thread-safe; the client locks around it.
 */
final class Balancer {
  private static final class State {
    long score;
    int failures;
    double coolUntil = Double.NEGATIVE_INFINITY;
  }

  private final double ejectFor;
  private List<Discovery.Instance> instances;
  private final Map<String, State> states = new HashMap<>();

  Balancer(List<Discovery.Instance> instances, double ejectFor) {
    this.ejectFor = ejectFor;
    this.instances = List.copyOf(instances);
    for (Discovery.Instance i : instances) {
      states.put(i.key(), new State());
    }
  }

  List<Discovery.Instance> instances() {
    return instances;
  }

  /** The next instance; avoids {@code exclude} (the previous attempt's key) while another exists. */
  Discovery.Instance pick(double now, String exclude) {
    List<Discovery.Instance> eligible = new ArrayList<>();
    for (Discovery.Instance i : instances) {
      if (states.get(i.key()).coolUntil <= now && !i.key().equals(exclude)) {
        eligible.add(i);
      }
    }
    if (eligible.isEmpty()) {
      // DISC-5: another instance, even one cooling off, comes before the previous attempt's.
      return leastCooling(exclude);
    }
    long total = 0;
    Discovery.Instance best = null;
    State bestState = null;
    for (Discovery.Instance i : eligible) {
      State s = states.get(i.key());
      s.score += i.weight;
      total += i.weight;
      if (bestState == null || s.score > bestState.score) {
        best = i;
        bestState = s;
      }
    }
    bestState.score -= total;
    return best;
  }

  private Discovery.Instance leastCooling(String exclude) {
    Discovery.Instance best = null;
    for (Discovery.Instance i : instances) {
      boolean better = best == null || states.get(i.key()).coolUntil < states.get(best.key()).coolUntil;
      if (instances.size() > 1 && i.key().equals(exclude)) {
        continue;
      }
      if (better) {
        best = i;
      }
    }
    return best;
  }

  /** A connect error or reset: out for ejectFor × 2^min(k−1, 4) seconds. */
  void eject(String key, double now) {
    State s = states.get(key);
    if (s != null) {
      s.failures++;
      s.coolUntil = now + ejectFor * (1 << Math.min(s.failures - 1, 4));
    }
  }

  /** Any HTTP answer: the failure streak ends. */
  void succeed(String key) {
    State s = states.get(key);
    if (s != null) {
      s.failures = 0;
    }
  }

  /** A new list: scores restart only if the set changed; cool-offs of remaining instances are kept. */
  void update(List<Discovery.Instance> next) {
    if (Discovery.sameSet(instances, next)) {
      instances = List.copyOf(next);
      return;
    }
    Map<String, State> old = new HashMap<>(states);
    states.clear();
    for (Discovery.Instance i : next) {
      State s = new State();
      State was = old.get(i.key());
      if (was != null) {
        s.failures = was.failures;
        s.coolUntil = was.coolUntil;
      }
      states.put(i.key(), s);
    }
    instances = List.copyOf(next);
  }
}
