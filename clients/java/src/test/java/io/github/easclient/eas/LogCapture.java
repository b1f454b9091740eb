package io.github.easclient.eas;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Captures every line the client logs (System.Logger → java.util.logging) at the most verbose level. */
final class LogCapture extends Handler {
  private static final Logger JUL = Logger.getLogger("io.github.easclient.eas");
  private final List<String> lines = new ArrayList<>();
  private Level before;
  private boolean on;

  synchronized void start() {
    if (!on) {
      before = JUL.getLevel();
      JUL.setLevel(Level.ALL);
      setLevel(Level.ALL);
      JUL.addHandler(this);
      on = true;
    }
  }

  synchronized void stop() {
    if (on) {
      JUL.removeHandler(this);
      JUL.setLevel(before);
      on = false;
    }
  }

  synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  @Override
  public synchronized void publish(LogRecord r) {
    lines.add(r.getMessage());
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
