package io.devproxy.tunnel.pki;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The TLS material of a traffic agent's tunnel listener, read from a directory and reloaded when it
 * changes, and the matching client side for the daemon.
 *
 * <p>The directory holds {@value #SERVER_CERT_FILE} (the server certificate, then its issuer chain),
 * {@value #SERVER_KEY_FILE} (its private key) and {@value #CLIENTS_CA_FILE} (the CAs of every developer
 * allowed to connect, one or more PEM certificates), as written by {@link UserPki#writeAgentTlsDir} or
 * mounted from a Kubernetes Secret.
 *
 * <p>{@link #serverContext()} is built once and requires a client certificate. Its key and trust managers
 * read the current material at each handshake, so after {@link #reloadIfChanged()} swapped it new
 * connections use the new files while open connections carry on. It speaks TLS 1.3 only and never
 * resumes a session, so removing a CA locks its clients out of every new connection. Its cipher suites come in
 * the order {@link TunnelCiphers} picks for this JVM.
 *
 * <p>Thread-safe. {@link #close()} stops polling; the {@link ScheduledExecutorService} passed to
 * {@link #start} stays the caller's to shut down.
 */
public final class AgentTls implements AutoCloseable {

  /**
   * The name the daemon verifies in every agent's server certificate, whatever address it dials (a
   * port-forward, a LoadBalancer, a pod IP): use it with {@code overrideAuthority}.
   */
  public static final String AGENT_AUTHORITY = "devproxy-agent";
  /** The server certificate and its issuer chain, PEM. */
  public static final String SERVER_CERT_FILE = "server.crt";
  /** The server certificate's private key, PEM. */
  public static final String SERVER_KEY_FILE = "server.key";
  /** The CAs whose client certificates the agent accepts, PEM. */
  public static final String CLIENTS_CA_FILE = "clients-ca.crt";

  private static final Logger logger = Logger.getLogger(AgentTls.class.getName());
  private static final Duration NO_TICKETS_SESSION_TIMEOUT = Duration.ofDays(8);

  private final Path dir;
  private final Clock clock;
  private final CurrentMaterial material;
  private final SslContext serverContext;

  // Guarded by this.
  private byte[] lastSeen;
  private long generation;
  private ScheduledFuture<?> poller;
  private boolean closed;

  private AgentTls(Path dir, Clock clock, TlsMaterial initial, byte[] fingerprint)
      throws IOException {
    this.dir = dir;
    this.clock = clock;
    this.material = new CurrentMaterial(initial);
    this.lastSeen = fingerprint;
    // The JDK provider whatever else is on the class path: the resumption rule below is the JDK's.
    this.serverContext = GrpcSslContexts.configure(
            SslContextBuilder.forServer(new ReloadingKeyManager(material)), SslProvider.JDK)
        .trustManager(new ReloadingTrustManager(material))
        .clientAuth(ClientAuth.REQUIRE)
        // A resumed session skips the client certificate check: a developer whose CA was removed
        // could come back for a day with a session ticket issued before. TLS 1.2 would resume from
        // the session cache; for TLS 1.3 the JDK issues no tickets when the session timeout exceeds
        // the 7-day ticket lifetime limit (RFC 8446 section 4.6.1). Checking again on resumption is
        // not an option: grpc-java builds its SslHandler without Netty's ResumptionController.
        .protocols("TLSv1.3")
        .ciphers(TunnelCiphers.forThisJvm(), SupportedCipherSuiteFilter.INSTANCE)
        .sessionTimeout(NO_TICKETS_SESSION_TIMEOUT.toSeconds())
        .build();
  }

  /**
   * Reads {@code tlsDir}. Call {@link #start} to reload it when it changes.
   *
   * @throws PkiFileException if a file is missing or bad, naming the file and how to write it again
   */
  public static AgentTls watch(Path tlsDir) throws IOException {
    return watch(tlsDir, Clock.systemUTC());
  }

  static AgentTls watch(Path tlsDir, Clock clock) throws IOException {
    requireNonNull(tlsDir, "tlsDir");
    requireNonNull(clock, "clock");
    AgentTlsFiles files = AgentTlsFiles.read(tlsDir);
    return new AgentTls(tlsDir, clock, files.parse("agent-0", clock.instant()), files.fingerprint());
  }

  /**
   * The server side of the tunnel's mutual TLS, for {@code NettyServerBuilder.sslContext}: presents the
   * current server certificate, requires a client certificate issued by one of the current client CAs,
   * and negotiates HTTP/2 by ALPN. The same instance for the life of this object.
   */
  public SslContext serverContext() {
    return serverContext;
  }

  /**
   * Reads the three files again and, when their content differs from the last read and is valid, makes
   * it the material of new handshakes. Content that is invalid (a missing file, a key that does not
   * match the certificate, a CA bundle without certificates, an expired certificate) leaves the current
   * material in place and logs one warning naming the file, until the content changes again.
   *
   * <p>Compares content, not modification times: a Kubernetes Secret volume swaps a {@code ..data}
   * symlink, which keeps the files' own times.
   *
   * @return whether new material is now in use; false after {@link #close()}
   */
  public synchronized boolean reloadIfChanged() {
    if (closed) {
      return false;
    }
    AgentTlsFiles files = AgentTlsFiles.read(dir);
    byte[] fingerprint = files.fingerprint();
    if (MessageDigest.isEqual(fingerprint, lastSeen)) {
      return false;
    }
    lastSeen = fingerprint;
    TlsMaterial next;
    try {
      next = files.parse("agent-" + (generation + 1), clock.instant());
    } catch (PkiFileException e) {
      logger.log(Level.WARNING, "Keeping the TLS material loaded before: {0}", e.getMessage());
      return false;
    }
    generation++;
    material.set(next);
    logger.log(Level.INFO, "Reloaded TLS material from {0}: server certificate {1} until {2},"
        + " client CAs {3}", new Object[] {dir, next.chain[0].getSubjectX500Principal(),
            next.chain[0].getNotAfter().toInstant(), trustedClientSubjects()});
    return true;
  }

  /**
   * Calls {@link #reloadIfChanged()} every {@code period} on {@code executor}, the first time after one
   * period. Call at most once.
   *
   * @throws IllegalStateException if already started or closed
   */
  public synchronized void start(ScheduledExecutorService executor, Duration period) {
    requireNonNull(executor, "executor");
    requireNonNull(period, "period");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
    }
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (poller != null) {
      throw new IllegalStateException("already started");
    }
    long nanos = period.toNanos();
    poller = executor.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  private void poll() {
    try {
      reloadIfChanged();
    } catch (RuntimeException e) {
      // An exception would cancel the schedule; the next poll may well succeed.
      logger.log(Level.WARNING, "Reloading TLS material from " + dir + " failed", e);
    }
  }

  /** Stops polling. The server context keeps the material it has. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (poller != null) {
      poller.cancel(false);
    }
  }

  /** The directory this reads. */
  public Path directory() {
    return dir;
  }

  /** The server certificate new handshakes present. */
  public X509Certificate serverCertificate() {
    return material.get().chain[0];
  }

  /** The subjects (RFC 2253) of the client CAs new handshakes trust, in file order, for status output. */
  public Set<String> trustedClientSubjects() {
    Set<String> subjects = new LinkedHashSet<>();
    for (X509Certificate ca : material.get().clientCas) {
      subjects.add(ca.getSubjectX500Principal().getName());
    }
    return subjects;
  }

  /**
   * The daemon's side of the tunnel's mutual TLS, for {@code NettyChannelBuilder.sslContext}: presents
   * {@code clientCert} and accepts an agent whose server certificate chains to a CA in
   * {@code trustedCa}. Dial with {@code overrideAuthority(AGENT_AUTHORITY)}.
   *
   * <p>Reads the client certificate and key once. Reads {@code trustedCa} again at each handshake and
   * uses its CAs from then on when the content changed, so a running daemon accepts the agents of a CA
   * {@link UserPki#trustAgentCa} added; content that is unreadable or holds no certificate keeps the CAs
   * read before and logs one warning.
   *
   * @param clientCert the client certificate, optionally followed by its chain
   * @param clientKey its private key
   * @param trustedCa one or more CA certificates, usually {@link UserPki#agentTrustFile()}
   * @throws PkiFileException if a file is missing or bad, or the key is not the certificate's
   */
  public static SslContext clientContext(Path clientCert, Path clientKey, Path trustedCa)
      throws IOException {
    List<X509Certificate> chain = Pem.readCertificates(requireNonNull(clientCert, "clientCert"));
    PrivateKey key = Pem.readPrivateKey(requireNonNull(clientKey, "clientKey"));
    CaFileTrustManager trust = new CaFileTrustManager(requireNonNull(trustedCa, "trustedCa"));
    if (!Keys.matches(key, chain.get(0).getPublicKey())) {
      throw new PkiFileException(clientKey, "is not the key of " + clientCert
          + "; delete both and restart the daemon to issue a new client certificate");
    }
    return GrpcSslContexts.forClient()
        .keyManager(key, chain)
        .trustManager(trust)
        .build();
  }

  @Override
  public String toString() {
    return "AgentTls{" + dir + ", server=" + serverCertificate().getSubjectX500Principal()
        + ", clientCas=" + trustedClientSubjects() + '}';
  }
}
