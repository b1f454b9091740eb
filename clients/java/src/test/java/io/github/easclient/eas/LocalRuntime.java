package io.github.easclient.eas;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The project's local EAS runtime ({@code eas serve}, from the repository's .venv) on a free port of
 * 127.0.0.1, started and stopped by a test. Without the .venv the test is skipped, unless
 * {@code -Deas.require.runtime=true} (set by {@code make test-java}) makes that a failure.
 */
final class LocalRuntime implements AutoCloseable {
  static final Path REPO = Paths.get(System.getProperty("eas.repo.dir", "../..")).toAbsolutePath().normalize();

  private final Process process;
  final String url;
  final List<String> instances = new ArrayList<>();

  LocalRuntime(String app, String... extraArgs) throws IOException, InterruptedException {
    Path eas = REPO.resolve(".venv/bin/eas");
    if (!Files.isExecutable(eas)) {
      String msg = eas + " is missing: run `make install` at the repository root";
      if (Boolean.getBoolean("eas.require.runtime")) {
        throw new AssertionError(msg);
      }
      Assumptions.abort(msg);
    }
    // A file is given by its path; a module:app target is imported from the repository root.
    String target = app.contains(":") ? app : REPO.resolve(app).toString();
    List<String> cmd = new ArrayList<>(List.of(eas.toString(), "serve", target, "--host", "127.0.0.1", "--port", "0"));
    cmd.addAll(List.of(extraArgs));
    process = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null;) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
      lines.add("<eof>");
    }, "eas-serve-output");
    reader.setDaemon(true);
    reader.start();
    String found = null;
    StringBuilder seen = new StringBuilder();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      String line = lines.poll(until - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null || line.equals("<eof>")) {
        break;
      }
      seen.append(line).append('\n');
      if (line.startsWith("Service start successfully: ")) {
        found = line.substring("Service start successfully: ".length()).trim();
        // Instance lines follow at once when --instances is given.
        for (String more; (more = lines.poll(300, TimeUnit.MILLISECONDS)) != null && more.trim().startsWith("instance");) {
          instances.add(more.substring(more.indexOf("http")).trim());
        }
        break;
      }
    }
    if (found == null) {
      process.destroyForcibly();
      throw new AssertionError("eas serve did not start within 60 s; output:\n" + seen);
    }
    url = found;
  }

  /** {@code http://127.0.0.1:<port>}. */
  String origin() {
    return url.substring(0, url.indexOf('/', "http://".length()));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
