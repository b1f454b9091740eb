package io.github.easclient.eas;

/**
 * Base of every error the client raises. Unchecked, so a call site handles only what it cares about.
 *
 * <pre>
 * EasException                      any failure; url() and attempts()
 * ├── EasConfigException            bad builder option or call argument (thrown by build() or the call)
 * ├── PayloadException              a body or tensor that cannot be encoded, a response that cannot be decoded
 * ├── DiscoveryException            direct mode: the instance list could not be fetched or read
 * ├── DeadlineExceededException     the overall deadline ended the retries; getCause() is the last error
 * ├── EasTransportException         no HTTP answer
 * │   ├── EasConnectException       no connection (refused, DNS, connect timeout)
 * │   ├── EasReadException          the connection broke before a full response
 * │   └── EasReadTimeoutException   no response within the read timeout
 * ├── StreamException               a 2xx stream failed after its headers (see its subclasses)
 * └── EasStatusException            a non-2xx answer: status(), requestId(), body()
 *     ├── BadRequestException 400, AuthenticationException 401, PermissionDeniedException 403,
 *     ├── NotFoundException 404, ServerTimeoutException 408, RateLimitException 429, QueueFullException 450
 *     └── ServerException 5xx: InternalServerException 500, BadGatewayException 502,
 *                              ServiceUnavailableException 503, GatewayTimeoutException 504
 * </pre>
 *
 * <p>No message, {@code toString()} or body excerpt ever contains the token.
 *
 * <pre>{@code
 * try {
 *     client.predict(body);
 * } catch (QueueFullException e) {          // 450 after every retry
 *     slowDown();
 * } catch (EasStatusException e) {
 *     log(e.status(), e.requestId());
 * }
 * }</pre>
 */
public class EasException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String url;
  private final int attempts;
  /** Set when the retry budget refused this call's retry (BUDGET-2); appended to the message. */
  private volatile String budgetNote;

  EasException(String message, String url, int attempts, Throwable cause) {
    super(message, cause);
    this.url = url;
    this.attempts = attempts;
  }

  /** The URL of the service (or discovery server) the call went to, never with credentials; may be null. */
  public String url() {
    return url;
  }

  /** How many HTTP attempts the call made before this error (0 when none was sent). */
  public int attempts() {
    return attempts;
  }

  /**
   * True when the call ended because the client's retry budget refused a retry (BUDGET-2): the service
   * is failing most calls, so this retryable failure was made final at once. False on every other error.
   */
  public boolean isBudgetExhausted() {
    return budgetNote != null;
  }

  EasException budgetExhausted(String note) {
    this.budgetNote = note;
    return this;
  }

  @Override
  public String getMessage() {
    String note = budgetNote;
    return note == null ? super.getMessage() : super.getMessage() + "; " + note;
  }

  /** The error kind's name in the shared spec (for example {@code "QueueFullError"}); same in every language. */
  public String kind() {
    return "EASError";
  }
}
