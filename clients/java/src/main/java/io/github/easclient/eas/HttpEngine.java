package io.github.easclient.eas;

/**
 * The HTTP engine of a client ({@link EasClient.Builder#engine}). Both send the same requests and
 * follow the same spec; they differ in speed and in what they know about connections.
 *
 * <pre>{@code
 * EasClient.builder().endpoint(url).engine(HttpEngine.JAVA_NET_HTTP).build();
 * }</pre>
 */
public enum HttpEngine {
  /**
   * The default: the client's own HTTP/1.1 over pooled keep-alive sockets ({@code java.net.Socket},
   * the JVM's default TLS), in the calling thread for blocking calls and on the client's executor for
   * async ones. It knows which connection each attempt used, so the CONN-1 resend is exact. No proxies.
   */
  SOCKETS,
  /**
   * {@code java.net.http.HttpClient} for every call (chosen on its own when you pass
   * {@link EasClient.Builder#httpClient}): proxies, TLS settings and HTTP stack of yours. CONN-1 is
   * inferred (see the README).
   */
  JAVA_NET_HTTP
}
