package io.github.easclient.eas;

import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Direct-mode state of one client (DISC-1..6): the instance list, its age and the balancer. Refreshes are
 * started by the call that finds the list stale; sync calls wait for it, async calls use the old list.
 * Concurrent first calls share one discovery request.
 */
final class Direct {
  private final EasClient c;
  private final String url;
  private final long origin = System.nanoTime();
  private final Object lock = new Object();
  private Balancer balancer;
  private long fetchedAt;
  private CompletableFuture<Void> refreshing;

  Direct(EasClient c) {
    this.c = c;
    this.url = c.endpoint.origin() + Discovery.path(c.endpoint.service);
  }

  private double now() {
    return (System.nanoTime() - origin) / 1e9;
  }

  CompletableFuture<Discovery.Instance> pick(String exclude, boolean awaitRefresh) {
    CompletableFuture<Void> ready;
    synchronized (lock) {
      if (balancer == null) {
        ready = refresh();
      } else if (System.nanoTime() - fetchedAt >= c.discoveryRefresh.toNanos()) {
        CompletableFuture<Void> r = refresh();
        ready = awaitRefresh ? r : CompletableFuture.completedFuture(null);
      } else {
        ready = CompletableFuture.completedFuture(null);
      }
    }
    return ready.thenApply(v -> {
      synchronized (lock) {
        return balancer.pick(now(), exclude);
      }
    });
  }

  void eject(String key) {
    synchronized (lock) {
      if (balancer != null) {
        balancer.eject(key, now());
      }
    }
  }

  void succeed(String key) {
    synchronized (lock) {
      if (balancer != null) {
        balancer.succeed(key);
      }
    }
  }

  /** Starts (or joins) a fetch. Fails only when there is no list yet; a failed refresh keeps the old one. */
  private CompletableFuture<Void> refresh() {
    if (refreshing != null && !refreshing.isDone()) {
      return refreshing;
    }
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(c.timeout).GET()
        .header("User-Agent", c.userAgent).build();
    CompletableFuture<Void> f = c.http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
        .handle((resp, err) -> {
          List<Discovery.Instance> list = null;
          DiscoveryException failure = null;
          try {
            if (err != null) {
              failure = new DiscoveryException("cannot reach the discovery server " + url + " ("
                  + EasClient.unwrap(err).getClass().getSimpleName() + "); check the endpoint", url, err);
            } else if (resp.statusCode() != 200) {
              failure = new DiscoveryException("discovery server " + url + " answered HTTP " + resp.statusCode()
                  + "; check the service name and that direct connection is enabled", url, null);
            } else if (resp.body().length > Defaults.MAX_DISCOVERY_BYTES) {
              failure = new DiscoveryException("discovery answer from " + url + " is too large", url, null);
            } else {
              list = Discovery.parse(resp.body(), c.endpoint.service);
            }
          } catch (DiscoveryException e) {
            failure = e;
          }
          synchronized (lock) {
            fetchedAt = System.nanoTime();
            if (list != null) {
              if (balancer == null) {
                balancer = new Balancer(list, RetryPolicy.seconds(c.ejectFor));
              } else {
                balancer.update(list);
              }
            }
            if (failure != null) {
              if (balancer == null) {
                throw failure;
              }
              EasClient.LOG.log(Level.DEBUG, "discovery refresh failed, keeping " + balancer.instances().size()
                  + " instance(s): " + failure.getMessage());
            }
          }
          return null;
        });
    refreshing = f;
    return f;
  }
}
