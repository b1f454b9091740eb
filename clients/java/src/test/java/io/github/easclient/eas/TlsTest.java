package io.github.easclient.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket engine's https over a real TLS server on 127.0.0.1, with certificates made by the JDK's
 * keytool for the test: an answer through TLS, and a certificate for another host name refused.
 */
class TlsTest {
  @TempDir
  Path dir;

  @Test
  void httpsWorksAndTheHostNameIsVerified() throws Exception {
    KeyStore good = keyStore("good", "SAN=ip:127.0.0.1");
    KeyStore other = keyStore("other", "SAN=dns:other.example");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("good", good.getCertificate("good"));
    trust.setCertificateEntry("other", other.getCertificate("other"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    ExecutorService pool = Executors.newCachedThreadPool();
    SocketTransport t = new SocketTransport(5000, new Watchdog(timer), pool, client.getSocketFactory());
    try {
      try (SSLServerSocket s = server(good, "good")) {
        Transport.Reply r = t.send(exchange(s.getLocalPort()));
        assertEquals(200, r.status);
        assertEquals("ok", new String(r.body, StandardCharsets.UTF_8));
      }
      try (SSLServerSocket s = server(other, "other")) {
        // Trusted, but issued to other.example, not 127.0.0.1: the handshake fails.
        SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> t.send(exchange(s.getLocalPort())));
        assertTrue(String.valueOf(e.getMessage()).contains("127.0.0.1") || e.getCause() != null, e.toString());
      }
    } finally {
      t.close();
      timer.shutdownNow();
      pool.shutdownNow();
    }
  }

  private static Transport.Exchange exchange(int port) {
    String origin = "https://127.0.0.1:" + port;
    return new Transport.Exchange(origin, origin + "/api/predict/demo", "/api/predict/demo",
        new String[] {"User-Agent", "eas-client-java-test", "Content-Type", "text/plain"}, null,
        "hi".getBytes(StandardCharsets.UTF_8), System.nanoTime() + TimeUnit.SECONDS.toNanos(10), Long.MAX_VALUE, false);
  }

  /** A key pair and self-signed certificate made by keytool, valid for the given subject alternative name. */
  private KeyStore keyStore(String alias, String san) throws Exception {
    Path file = dir.resolve(alias + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname",
        "secp256r1", "-dname", "CN=" + alias, "-ext", san, "-validity", "2", "-storetype", "PKCS12", "-keystore",
        file.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, "changeit".toCharArray());
    }
    return ks;
  }

  /** A TLS server on 127.0.0.1 answering each request "ok", one connection at a time. */
  private static SSLServerSocket server(KeyStore ks, String alias) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50,
        java.net.InetAddress.getLoopbackAddress());
    Thread th = new Thread(() -> {
      while (!server.isClosed()) {
        try (SSLSocket c = (SSLSocket) server.accept()) {
          c.setSoTimeout(10_000);
          InputStream in = c.getInputStream();
          OutputStream out = c.getOutputStream();
          byte[] head = readHead(in);
          in.readNBytes(contentLength(head));
          out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          readHead(in); // until the client closes
        } catch (Exception e) {
          // a refused handshake or the end of the test
        }
      }
    }, "tls-test-server");
    th.setDaemon(true);
    th.start();
    return server;
  }

  private static byte[] readHead(InputStream in) throws java.io.IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      byte[] h = b.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        return h;
      }
    }
    return b.toByteArray();
  }

  private static int contentLength(byte[] head) {
    for (String line : List.of(new String(head, StandardCharsets.ISO_8859_1).split("\r\n"))) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }
}
