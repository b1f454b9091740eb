package io.github.easclient.eas;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * A client for one EAS service. Immutable and thread-safe: build one and share it. Close it when done
 * (it owns a small thread pool unless you pass your own executor and HttpClient).
 *
 * <pre>{@code
 * try (EasClient client = EasClient.create("http://127.0.0.1:8080/api/predict/demo", token)) {
 *     String answer = client.predict("2 105");                       // "True"
 * }
 *
 * EasClient client = EasClient.builder()
 *     .endpoint("http://1234.cn-shanghai.pai-eas.aliyuncs.com")
 *     .serviceName("demo")
 *     .token(System.getenv("EAS_TOKEN"))
 *     .timeout(Duration.ofSeconds(10))
 *     .maxRetries(5)
 *     .build();
 * CompletableFuture<byte[]> f = client.predictAsync(body);           // retries without blocking a thread
 * List<EasResult> all = client.predictMany(bodies, 32);              // input order, at most 32 in flight
 * }</pre>
 *
 * <p>Errors are unchecked {@link EasException}s. Nothing is printed or written to disk; attempts are
 * logged through {@link System.Logger} at DEBUG, never with the token.
 */
public final class EasClient implements AutoCloseable {
  static final System.Logger LOG = System.getLogger("io.github.easclient.eas");
  private static final AtomicInteger IDS = new AtomicInteger();

  final Endpoint endpoint;
  private final Secret secret;
  final boolean signed;
  final Duration timeout;
  final Duration connectTimeout;
  final RetryPolicy policy;
  final List<Map.Entry<String, String>> headers;
  final String userAgent;
  final int concurrency;
  final boolean direct;
  final Duration discoveryRefresh;
  final Duration ejectFor;
  /** Below 1: no limit. */
  final long maxResponseBytes;
  final DoubleSupplier jitter;
  final Clock clock;
  /** BUDGET-1: the budget (null: off) and its bucket, shared by every call of this client. */
  final RetryBudget retryBudget;
  final BudgetBucket budget;
  /** Monotonic nanos of the last "retry budget exhausted" warning (BUDGET-2: at most one per 10 s). */
  private final java.util.concurrent.atomic.AtomicLong budgetWarned = new java.util.concurrent.atomic.AtomicLong();
  final HttpClient http;
  final Executor executor;
  final ScheduledExecutorService scheduler;
  final Direct directState;
  final Watchdog watchdog;
  /** The engine of blocking calls and the one of async calls ({@link HttpEngine}). */
  final Transport transport;
  final Transport asyncTransport;
  /** The URL of a call without sub-path or query pairs, and its parse, made once (see {@link #plainUri}). */
  final String plainTarget;
  private volatile URI plainUri;
  /** Name/value pairs of an unsigned attempt without call headers, by content type; never the credential. */
  private final Map<String, String[]> plainHeaders = new ConcurrentHashMap<>();
  private final ExecutorService ownedExecutor;
  private final Builder source;
  private final AtomicBoolean closed = new AtomicBoolean();
  /**
   * CONN-1's count of idle connections for stream calls, which always go through {@link #http}: their
   * own count, so it holds whatever engine the other calls use.
   */
  final IdleConnections streamIdle = new IdleConnections();

  private EasClient(Builder b, Endpoint endpoint, String token) {
    this.source = b.copy();
    this.endpoint = endpoint;
    this.secret = token == null ? null : new Secret(token);
    this.signed = b.signature;
    this.timeout = b.timeout;
    this.connectTimeout = b.connectTimeout;
    this.policy = new RetryPolicy(b.maxRetries, RetryPolicy.seconds(b.backoffBase), RetryPolicy.seconds(b.backoffMax),
        RetryPolicy.seconds(b.retryAfterCap), b.deadline == null ? -1 : RetryPolicy.seconds(b.deadline),
        b.retryStatuses, b.retryErrors);
    this.headers = Headers.check(b.headers, token != null, "client");
    this.userAgent = Headers.userAgent(b.userAgent);
    this.concurrency = b.concurrency;
    this.direct = b.direct;
    this.discoveryRefresh = b.discoveryRefresh;
    this.ejectFor = b.ejectFor;
    this.maxResponseBytes = b.maxResponseBytes == null ? 0 : b.maxResponseBytes;
    this.jitter = b.jitter;
    this.clock = b.clock;
    this.retryBudget = b.retryBudget;
    this.budget = b.retryBudget == null ? null
        : b.sharedBucket != null ? b.sharedBucket : new BudgetBucket(b.retryBudget, monotonic());
    int id = IDS.incrementAndGet();
    if (b.executor != null) {
      this.ownedExecutor = null;
      this.executor = b.executor;
    } else {
      this.ownedExecutor = Executors.newCachedThreadPool(daemon("eas-client-" + id + "-worker-"));
      this.executor = ownedExecutor;
    }
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("eas-client-" + id + "-scheduler-"));
    // A cancelled backoff (cancel(true) on a call) leaves the queue at once instead of at its time.
    timer.setRemoveOnCancelPolicy(true);
    this.scheduler = timer;
    this.watchdog = new Watchdog(timer);
    this.plainTarget = endpoint.origin() + endpoint.path + endpoint.queryString(null);
    this.http = b.httpClient != null ? b.httpClient : HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(connectTimeout)
        .executor(executor)
        .build();
    JdkTransport jdk = new JdkTransport(this, http);
    HttpEngine engine = b.engine != null ? b.engine : b.httpClient != null ? HttpEngine.JAVA_NET_HTTP : HttpEngine.SOCKETS;
    if (engine == HttpEngine.SOCKETS) {
      SocketTransport sockets = new SocketTransport(connectTimeout.toMillis(), watchdog, executor);
      this.transport = sockets;
      this.asyncTransport = sockets;
    } else {
      this.transport = jdk;
      this.asyncTransport = jdk;
    }
    this.directState = direct ? new Direct(this) : null;
  }

  /** The parsed {@link #plainTarget}; parsed at the first call so a bad URL stays a call's error, as before. */
  URI plainUri() {
    URI u = plainUri;
    if (u == null) {
      u = URI.create(plainTarget);
      plainUri = u;
    }
    return u;
  }

  /** User-Agent, Content-Type and the client headers (HDR-1..3) for a payload, without the credential. */
  String[] plainHeaders(Payload payload) {
    String[] h = plainHeaders.get(payload.contentType);
    if (h == null) {
      List<Map.Entry<String, String>> list = Headers.build(userAgent, null, false, payload, headers, List.of(),
          endpoint.path, null);
      h = new String[list.size() * 2];
      for (int k = 0; k < list.size(); k++) {
        h[2 * k] = list.get(k).getKey();
        h[2 * k + 1] = list.get(k).getValue();
      }
      plainHeaders.put(payload.contentType, h);
    }
    return h;
  }

  /** The token, or null; only for building headers and masking text. */
  String token() {
    return secret == null ? null : secret.reveal();
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A builder; unset endpoint, token and service name fall back to EAS_ENDPOINT, EAS_TOKEN, EAS_SERVICE_NAME. */
  public static Builder builder() {
    return new Builder();
  }

  /** The one-liner: a client with defaults for a full service URL and a token (null for none). */
  public static EasClient create(String endpoint, String token) {
    return builder().endpoint(endpoint).token(token).build();
  }

  /**
   * A builder holding this client's settings, to make a variant. The variant shares this client's retry
   * budget (BUDGET-1) unless {@link Builder#retryBudget} is set on it.
   */
  public Builder toBuilder() {
    Builder b = source.copy();
    b.sharedBucket = budget;
    return b;
  }

  /** How many retries the retry budget has refused so far (BUDGET-2); 0 with no budget. */
  public long retryBudgetDenied() {
    return budget == null ? 0 : budget.denied();
  }

  private static final long ORIGIN = System.nanoTime();

  /** Seconds on the monotonic clock the budget and the adaptive limiter run on (from 1 up, never negative). */
  static double monotonic() {
    return seconds(System.nanoTime());
  }

  /** A {@link System#nanoTime()} reading on that clock. */
  static double seconds(long nanoTime) {
    return (nanoTime - ORIGIN) / 1e9 + 1.0;
  }

  /** BUDGET-2's WARNING line, at most once per 10 s per client. */
  void warnBudgetExhausted(String url) {
    long now = System.nanoTime();
    long last = budgetWarned.get();
    if ((last == 0 || now - last >= 10_000_000_000L) && budgetWarned.compareAndSet(last, now == 0 ? 1 : now)) {
      LOG.log(System.Logger.Level.WARNING, "eas retry budget exhausted: retries to " + Redact.text(url, token())
          + " are refused (" + retryBudgetDenied() + " so far); " + retryBudget.exhaustedText());
    }
  }

  /** Sends bytes (application/octet-stream) and returns the response body. */
  public byte[] predict(byte[] body) {
    return request(EasRequest.of(body)).body();
  }

  /** Sends UTF-8 text (text/plain; charset=utf-8) and returns the response as UTF-8 text. */
  public String predict(String body) {
    return request(EasRequest.builder().text(body).build()).text();
  }

  /** Sends a TensorFlow request and decodes the response. */
  public TFResponse predict(TFRequest request) {
    return request(EasRequest.builder().tf(request).build()).tf();
  }

  /** Sends a PyTorch request and decodes the response. */
  public TorchResponse predict(TorchRequest request) {
    return request(EasRequest.builder().torch(request).build()).torch();
  }

  /** Sends one request with retries; throws an {@link EasException} subclass on failure. */
  public EasResponse request(EasRequest request) {
    if (closed.get()) {
      throw new IllegalStateException("EasClient is closed");
    }
    if (request == null) {
      throw new PayloadException("request is null");
    }
    return new Call(this, request, true).run();
  }

  /** The async form of {@link #request}: {@code cancel(true)} stops further attempts. */
  public CompletableFuture<EasResponse> requestAsync(EasRequest request) {
    return call(request, false);
  }

  /**
   * Sends one request and returns its answer as a stream once the 2xx response headers arrived
   * (protocol.md §13). Retries happen only before the headers, as for {@link #request}; a non-2xx
   * answer throws what {@code request} would. {@code timeout} then bounds each gap between body bytes.
   * {@code Accept: text/event-stream} is sent unless the client or the request sets {@code Accept}.
   *
   * <pre>{@code
   * try (EasStream s = client.stream(EasRequest.builder().json(body).path("v1/chat/completions").build())) {
   *     for (SseEvent e : s.events()) {
   *         if (e.data().equals("[DONE]")) break;
   *         handle(e.data());
   *     }
   * }
   * }</pre>
   */
  public EasStream stream(EasRequest request) {
    checkCall(request);
    return new StreamCall(this, request, true).run();
  }

  /**
   * The async form of {@link #stream}: completes with the open stream once its headers arrived; read it
   * with {@link EasStream#forEachEvent}. {@code cancel(true)} stops the attempts (and closes a stream that
   * opened meanwhile).
   */
  public CompletableFuture<EasStream> streamAsync(EasRequest request) {
    checkCall(request);
    return new StreamCall(this, request, false).start();
  }

  /**
   * Asks an OpenAI-compatible chat service (vLLM, SGLang, BladeLLM images on EAS) for a whole answer:
   * {@code POST <service URL>/v1/chat/completions} without streaming (STREAM-11).
   *
   * <pre>{@code
   * ChatAnswer a = client.chat(ChatRequest.builder().message("user", "Hi").build());
   * a.text(); a.usage(); a.finishReason();
   * }</pre>
   */
  public ChatAnswer chat(ChatRequest request) {
    if (request == null) {
      throw new EasConfigException("chat request is null");
    }
    return Chat.answer(request(request.toRequest(false)).body());
  }

  /**
   * Streams a chat answer from an OpenAI-compatible service as text deltas (STREAM-11, STREAM-12): the
   * request asks for {@code "stream": true} and the final usage. Close it (try with resources).
   */
  public ChatStream chatStream(ChatRequest request) {
    if (request == null) {
      throw new EasConfigException("chat request is null");
    }
    return new ChatStream(stream(request.toRequest(true)));
  }

  private void checkCall(EasRequest request) {
    if (closed.get()) {
      throw new IllegalStateException("EasClient is closed");
    }
    if (request == null) {
      throw new PayloadException("request is null");
    }
  }

  /** Sends bytes without blocking; retries are scheduled, never slept; {@code cancel(true)} stops them. */
  public CompletableFuture<byte[]> predictAsync(byte[] body) {
    CompletableFuture<EasResponse> f = call(EasRequest.of(body), false);
    CompletableFuture<byte[]> out = f.thenApply(EasResponse::body);
    out.whenComplete((v, e) -> {
      if (out.isCancelled()) {
        f.cancel(true);
      }
    });
    return out;
  }

  /** Sends every input with at most {@code concurrency} in flight; one result per input, in input order. */
  public List<EasResult> predictMany(List<byte[]> inputs, int concurrency) {
    return join(Batch.run(this, toRequests(inputs), concurrency, true, true));
  }

  /** {@link #predictMany(List, int)} with the client's default concurrency (16 unless configured). */
  public List<EasResult> predictMany(List<byte[]> inputs) {
    return predictMany(inputs, concurrency);
  }

  /**
   * Adaptive concurrency (ADAPT-1…6): the in-flight limit grows while the service answers and is cut on
   * 450/429/503/504/408 or timeouts; items refused with 450/429 are put back and sent again without
   * spending their retries, failing only if their deadline passes. Input order, one result per input.
   * Interrupting the calling thread stops the batch and returns the list with the items not finished
   * marked {@link EasResult#isCancelled()}.
   *
   * <pre>{@code
   * List<EasResult> all = client.predictMany(inputs, AdaptiveConcurrency.auto());
   * }</pre>
   */
  public List<EasResult> predictMany(List<byte[]> inputs, AdaptiveConcurrency concurrency) {
    return AdaptiveBatch.blocking(this, toRequests(inputs), concurrency, true);
  }

  /**
   * The async form of {@link #predictMany(List, AdaptiveConcurrency)}; {@code cancel(true)} on the future
   * stops the batch, and the {@link BatchCancelledException} it then completes with holds every item's
   * outcome.
   */
  public CompletableFuture<List<EasResult>> predictManyAsync(List<byte[]> inputs, AdaptiveConcurrency concurrency) {
    return AdaptiveBatch.start(this, toRequests(inputs), concurrency, true, false).future();
  }

  /** Like {@link #predictMany(List, AdaptiveConcurrency)} for full requests. */
  public List<EasResult> requestMany(List<EasRequest> requests, AdaptiveConcurrency concurrency) {
    return AdaptiveBatch.blocking(this, requests, concurrency, true);
  }

  /** The async form of {@link #requestMany(List, AdaptiveConcurrency)}. */
  public CompletableFuture<List<EasResult>> requestManyAsync(List<EasRequest> requests,
      AdaptiveConcurrency concurrency) {
    return AdaptiveBatch.start(this, requests, concurrency, true, false).future();
  }

  /** Like {@link #requestAll(List, int)} under adaptive concurrency: the first failure stops the batch. */
  public List<EasResponse> requestAll(List<EasRequest> requests, AdaptiveConcurrency concurrency) {
    return responses(AdaptiveBatch.blocking(this, requests, concurrency, false));
  }

  /** The async form of {@link #requestAll(List, AdaptiveConcurrency)}. */
  public CompletableFuture<List<EasResponse>> requestAllAsync(List<EasRequest> requests,
      AdaptiveConcurrency concurrency) {
    return AdaptiveBatch.start(this, requests, concurrency, false, false).future().thenApply(EasClient::responses);
  }

  private static List<EasResponse> responses(List<EasResult> rs) {
    List<EasResponse> out = new ArrayList<>(rs.size());
    for (EasResult r : rs) {
      out.add(r.response());
    }
    return out;
  }

  /** The async form of {@link #predictMany(List, int)}. */
  public CompletableFuture<List<EasResult>> predictManyAsync(List<byte[]> inputs, int concurrency) {
    return Batch.run(this, toRequests(inputs), concurrency, true, false);
  }

  /** Like predictMany for full requests. */
  public List<EasResult> requestMany(List<EasRequest> requests, int concurrency) {
    return join(Batch.run(this, requests, concurrency, true, true));
  }

  /** The async form of {@link #requestMany}. */
  public CompletableFuture<List<EasResult>> requestManyAsync(List<EasRequest> requests, int concurrency) {
    return Batch.run(this, requests, concurrency, true, false);
  }

  /** Like requestMany but stops taking inputs after the first failure and throws it (in-flight calls finish). */
  public List<EasResponse> requestAll(List<EasRequest> requests, int concurrency) {
    return join(requestAll(requests, concurrency, true));
  }

  /** The async form of {@link #requestAll}: completes exceptionally with the first failure. */
  public CompletableFuture<List<EasResponse>> requestAllAsync(List<EasRequest> requests, int concurrency) {
    return requestAll(requests, concurrency, false);
  }

  private CompletableFuture<List<EasResponse>> requestAll(List<EasRequest> requests, int concurrency,
      boolean awaitRefresh) {
    return Batch.run(this, requests, concurrency, false, awaitRefresh).thenApply(rs -> {
      List<EasResponse> out = new ArrayList<>(rs.size());
      for (EasResult r : rs) {
        out.add(r.response());
      }
      return out;
    });
  }

  private static List<EasRequest> toRequests(List<byte[]> inputs) {
    if (inputs == null) {
      throw new PayloadException("inputs is null; pass a list of bodies");
    }
    List<EasRequest> rs = new ArrayList<>(inputs.size());
    for (int k = 0; k < inputs.size(); k++) {
      if (inputs.get(k) == null) {
        throw new PayloadException("input " + k + " is null; pass new byte[0] for an empty body");
      }
      rs.add(EasRequest.of(inputs.get(k)));
    }
    return rs;
  }

  CompletableFuture<EasResponse> call(EasRequest request, boolean awaitRefresh) {
    if (closed.get()) {
      throw new IllegalStateException("EasClient is closed");
    }
    if (request == null) {
      throw new PayloadException("request is null");
    }
    return new Call(this, request, awaitRefresh).start();
  }

  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new EasReadException("interrupted while waiting for the response", null, 0, e);
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  static RuntimeException unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RuntimeException) {
      return (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new EasReadException("unexpected failure: " + t, null, 0, t);
  }

  /** Stops the client's own threads (and direct mode's refreshes). Calls made afterwards fail. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    scheduler.shutdownNow();
    transport.close();
    asyncTransport.close();
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  @Override
  public String toString() {
    return "EasClient{url=" + endpoint.base() + (direct ? ", direct" : "") + ", token="
        + (secret == null ? "none" : Redact.MASK) + ", auth=" + (signed ? "signature" : "raw") + ", timeout=" + timeout
        + ", maxRetries=" + policy.maxRetries + "}";
  }

  /**
   * Options for {@link EasClient}; {@link #build()} validates them all and throws {@link EasConfigException}
   * naming the problem and the fix (never the token).
   */
  public static final class Builder {
    private String endpoint;
    private String token;
    private boolean tokenSet;
    private String serviceName;
    private Duration timeout = Defaults.TIMEOUT;
    private Duration connectTimeout = Defaults.CONNECT_TIMEOUT;
    private int maxRetries = Defaults.MAX_RETRIES;
    private Duration backoffBase = Defaults.BACKOFF_BASE;
    private Duration backoffMax = Defaults.BACKOFF_MAX;
    private Duration retryAfterCap = Defaults.RETRY_AFTER_CAP;
    private Duration deadline;
    private Set<Integer> retryStatuses = Defaults.RETRY_STATUSES;
    private Set<String> retryErrors = Defaults.RETRY_ERRORS;
    private boolean signature;
    private boolean direct;
    private Duration discoveryRefresh = Defaults.DISCOVERY_REFRESH;
    private Duration ejectFor = Defaults.EJECT_FOR;
    private Long maxResponseBytes = Defaults.MAX_RESPONSE_BYTES;
    private Map<String, String> headers = new LinkedHashMap<>();
    private String userAgent;
    private int concurrency = Defaults.CONCURRENCY;
    private HttpClient httpClient;
    private HttpEngine engine;
    private Executor executor;
    private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
    private Clock clock = Clock.systemUTC();
    private Function<String, String> env = System::getenv;
    private RetryBudget retryBudget = RetryBudget.DEFAULT;
    /** The bucket of the client this builder came from (toBuilder), kept while the budget is unchanged. */
    private BudgetBucket sharedBucket;

    private Builder() {}

    Builder copy() {
      Builder c = new Builder();
      c.endpoint = endpoint;
      c.token = token;
      c.tokenSet = tokenSet;
      c.serviceName = serviceName;
      c.timeout = timeout;
      c.connectTimeout = connectTimeout;
      c.maxRetries = maxRetries;
      c.backoffBase = backoffBase;
      c.backoffMax = backoffMax;
      c.retryAfterCap = retryAfterCap;
      c.deadline = deadline;
      c.retryStatuses = retryStatuses;
      c.retryErrors = retryErrors;
      c.signature = signature;
      c.direct = direct;
      c.discoveryRefresh = discoveryRefresh;
      c.ejectFor = ejectFor;
      c.maxResponseBytes = maxResponseBytes;
      c.headers = new LinkedHashMap<>(headers);
      c.userAgent = userAgent;
      c.concurrency = concurrency;
      c.httpClient = httpClient;
      c.engine = engine;
      c.executor = executor;
      c.jitter = jitter;
      c.clock = clock;
      c.env = env;
      c.retryBudget = retryBudget;
      return c;
    }

    /** Full service URL ({@code http://host/api/predict/svc}), a base URL plus {@link #serviceName}, or a custom URL. */
    public Builder endpoint(String endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /** The service token; null falls back to EAS_TOKEN (empty there means none). An empty string is an error. */
    public Builder token(String token) {
      this.token = token;
      this.tokenSet = token != null;
      return this;
    }

    /** The service name, when the endpoint is a base URL (or in direct mode). */
    public Builder serviceName(String serviceName) {
      this.serviceName = serviceName;
      return this;
    }

    /** Read timeout of each attempt (default 30 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Connect timeout (default 5 s). */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** Retries after the first attempt (default 3). */
    public Builder maxRetries(int maxRetries) {
      this.maxRetries = maxRetries;
      return this;
    }

    /** First backoff step (default 100 ms); the wait before retry n is rand × min(max, base × 2^(n−1)). */
    public Builder backoffBase(Duration backoffBase) {
      this.backoffBase = backoffBase;
      return this;
    }

    /** Longest backoff step (default 5 s). */
    public Builder backoffMax(Duration backoffMax) {
      this.backoffMax = backoffMax;
      return this;
    }

    /** Longest wait a Retry-After header may ask for (default 30 s). */
    public Builder retryAfterCap(Duration retryAfterCap) {
      this.retryAfterCap = retryAfterCap;
      return this;
    }

    /** Overall time limit of a call including retries (default none). */
    public Builder deadline(Duration deadline) {
      this.deadline = deadline;
      return this;
    }

    /** Statuses that are retried (default 408, 429, 450, 502, 503, 504); replaces the defaults. */
    public Builder retryStatuses(Set<Integer> statuses) {
      this.retryStatuses = statuses;
      return this;
    }

    /** Transport error kinds that are retried: "connect", "reset", "timeout" (default connect and reset). */
    public Builder retryErrors(Set<String> kinds) {
      this.retryErrors = kinds;
      return this;
    }

    /** Signs each attempt (Authorization: EAS ..., Content-MD5, Date) instead of sending the raw token. */
    public Builder signatureAuth(boolean on) {
      this.signature = on;
      return this;
    }

    /**
     * Direct (VPC) mode: the endpoint names the discovery server, calls go straight to the service's
     * instances, spread by weight; the list is refreshed every {@link #discoveryRefresh}.
     */
    public Builder directMode(boolean on) {
      this.direct = on;
      return this;
    }

    /** How old the instance list may get before a call refreshes it (default 3 s). */
    public Builder discoveryRefresh(Duration refresh) {
      this.discoveryRefresh = refresh;
      return this;
    }

    /** First cool-off of an instance that failed to connect (default 5 s, doubling up to 16×). */
    public Builder ejectFor(Duration ejectFor) {
      this.ejectFor = ejectFor;
      return this;
    }

    /**
     * The largest response body read for one attempt, after gzip decoding (default 256 MiB); null turns
     * the limit off. A bigger answer is a {@link ResponseTooLargeException}, never retried.
     */
    public Builder maxResponseBytes(Long maxBytes) {
      this.maxResponseBytes = maxBytes;
      return this;
    }

    /** A header on every call (a call's header of the same name wins). */
    public Builder header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Headers on every call (copied; the map is never written to). */
    public Builder headers(Map<String, String> headers) {
      this.headers.putAll(headers);
      return this;
    }

    /**
     * Your application's name and version ({@code "my-app/1.2"}), appended to the client's own User-Agent
     * after one space (HDR-1). Visible ASCII and spaces only, not empty; {@link #build()} throws
     * {@link EasConfigException} otherwise.
     */
    public Builder userAgent(String suffix) {
      this.userAgent = suffix;
      return this;
    }

    /**
     * The client's retry budget (BUDGET-1, default {@link RetryBudget#DEFAULT}: 10% of calls + 10/s);
     * null turns it off, so retries follow {@link #maxRetries} alone.
     */
    public Builder retryBudget(RetryBudget budget) {
      this.retryBudget = budget;
      this.sharedBucket = null;
      return this;
    }

    /** Default concurrency of {@link EasClient#predictMany(List)} (default 16). */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Your own HttpClient (proxies, TLS); calls then go through it ({@link HttpEngine#JAVA_NET_HTTP}), and
     * its timeouts and redirect policy are yours. Not closed by us.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /**
     * The HTTP engine (default {@link HttpEngine#SOCKETS}, or {@link HttpEngine#JAVA_NET_HTTP} when an
     * {@link #httpClient} is given).
     */
    public Builder engine(HttpEngine engine) {
      this.engine = engine;
      return this;
    }

    /**
     * Your own executor for HTTP work and continuations; not shut down by {@link EasClient#close()}. With
     * the socket engine an async attempt on the wire holds one of its threads (at most 64 at once).
     */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** Source of the backoff jitter in [0, 1) (tests fix it). */
    public Builder jitter(DoubleSupplier jitter) {
      this.jitter = jitter;
      return this;
    }

    /** Wall clock for the signed Date header and Retry-After dates (tests fix it). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Where EAS_ENDPOINT / EAS_TOKEN / EAS_SERVICE_NAME are read (tests replace the environment). */
    Builder environment(Function<String, String> env) {
      this.env = env;
      return this;
    }

    /** Validates every option and makes the client. */
    public EasClient build() {
      String ep = endpoint != null ? endpoint : env.apply("EAS_ENDPOINT");
      String svc = serviceName != null ? serviceName : env.apply("EAS_SERVICE_NAME");
      String tok = token;
      if (!tokenSet) {
        String e = env.apply("EAS_TOKEN");
        tok = e == null || e.isEmpty() ? null : e;
      }
      if (tok != null) {
        Auth.checkToken(tok);
      }
      if (signature && tok == null) {
        throw new EasConfigException("signature auth needs a token: pass token(...) or set EAS_TOKEN");
      }
      Endpoint parsed = Endpoint.parse(ep, svc);
      if (direct && parsed.service == null) {
        throw new EasConfigException("direct mode needs a service: pass serviceName(...) or an endpoint with /api/predict/<service>");
      }
      positive(timeout, "timeout");
      positive(connectTimeout, "connectTimeout");
      notNegative(backoffBase, "backoffBase");
      notNegative(backoffMax, "backoffMax");
      notNegative(retryAfterCap, "retryAfterCap");
      notNegative(discoveryRefresh, "discoveryRefresh");
      notNegative(ejectFor, "ejectFor");
      if (deadline != null) {
        positive(deadline, "deadline");
      }
      if (maxRetries < 0) {
        throw new EasConfigException("maxRetries must be >= 0, got " + maxRetries);
      }
      if (maxResponseBytes != null && maxResponseBytes < 1) {
        throw new EasConfigException("maxResponseBytes must be >= 1 (or null for no limit), got " + maxResponseBytes);
      }
      if (concurrency < 1) {
        throw new EasConfigException("concurrency must be >= 1, got " + concurrency);
      }
      if (retryStatuses == null || retryStatuses.stream().anyMatch(s -> s == null || s < 100 || s > 599)) {
        throw new EasConfigException("retryStatuses must be HTTP statuses 100-599, got " + retryStatuses);
      }
      if (retryErrors == null || !Set.of("connect", "reset", "timeout").containsAll(retryErrors)) {
        throw new EasConfigException("retryErrors may contain only \"connect\", \"reset\" and \"timeout\", got " + retryErrors);
      }
      if (engine == HttpEngine.SOCKETS && httpClient != null) {
        throw new EasConfigException("engine(SOCKETS) does not use an HttpClient: drop httpClient(...) or pick "
            + "engine(HttpEngine.JAVA_NET_HTTP)");
      }
      if (jitter == null || clock == null) {
        throw new EasConfigException("jitter and clock must not be null");
      }
      return new EasClient(this, parsed, tok);
    }

    private static void positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new EasConfigException(name + " must be a positive duration, got " + d);
      }
    }

    private static void notNegative(Duration d, String name) {
      if (d == null || d.isNegative()) {
        throw new EasConfigException(name + " must be zero or positive, got " + d);
      }
    }
  }
}
