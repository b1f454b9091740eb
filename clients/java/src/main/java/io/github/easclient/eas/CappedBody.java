package io.github.easclient.eas;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body into memory, but never more than {@code cap} bytes (LIMIT-1): a declared
 * Content-Length above the cap fails before any body byte is read, otherwise reading stops as soon as
 * the total would pass it. Cancelling the subscription makes the HTTP client drop the connection.
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
  /** Thrown inside the body future; the call turns it into a ResponseTooLargeException. */
  static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  private final long cap;
  private final long declared;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private final List<ByteBuffer> parts = new ArrayList<>();
  private long total;
  private Flow.Subscription subscription;

  private CappedBody(long cap, long declared) {
    this.cap = cap;
    this.declared = declared;
  }

  /** A handler with this cap; a cap below 1 means no limit. */
  static HttpResponse.BodyHandler<byte[]> handler(long cap) {
    if (cap < 1) {
      return HttpResponse.BodyHandlers.ofByteArray();
    }
    return info -> new CappedBody(cap, info.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (declared > cap) {
      s.cancel();
      result.completeExceptionally(new TooLarge("the response declares " + declared + " bytes"));
      return;
    }
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      total += b.remaining();
      parts.add(b);
    }
    if (total > cap) {
      subscription.cancel();
      parts.clear();
      result.completeExceptionally(new TooLarge("the response passed " + cap + " bytes"));
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    byte[] out = new byte[(int) total];
    int pos = 0;
    for (ByteBuffer b : parts) {
      int n = b.remaining();
      b.get(out, pos, n);
      pos += n;
    }
    result.complete(out);
  }
}
