package io.devproxy.e2e.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.agent.janitor.LeaseApiStandIn;
import io.devproxy.daemon.DevproxyHome;
import io.devproxy.daemon.kube.AgentSpec;
import io.devproxy.daemon.kube.InjectedAgentContainer;
import io.devproxy.daemon.tunnel.TunnelIntercepts;
import io.devproxy.e2e.image.ChrootContainer.Mount;
import io.devproxy.proto.daemon.InterceptRequest;
import io.devproxy.sandbox.http.RestServer;
import io.devproxy.tunnel.netty.EventLoops;
import io.devproxy.tunnel.pki.Pem;
import io.devproxy.tunnel.pki.UserPki;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent image as a pod runs it: the OCI tar the profile {@code image} builds, unpacked layer by layer, started
 * from its own config (entrypoint, variables, user) by {@link ChrootContainer} with the container the daemon injects
 * in sidecar mode (its variables, its securityContext: uid 65532, read-only root, no privilege escalation), the TLS
 * Secret and the ServiceAccount mounted, next to an app and an API server on this machine. Checks that it becomes
 * ready, forwards to the app, serves a developer's tunnel (TLS with EC keys) and calls the API server (the lease
 * janitor's HTTP client), all with the modules of its jlinked runtime. Prints the time to {@code /readyz}.
 */
class AgentImageChrootTest {

  private static final String NAMESPACE = "shop";
  private static final String TOKEN = "image-test-token";
  private static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path work;

  private final List<AutoCloseable> started = new ArrayList<>();
  private final List<String> apiCalls = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  @AfterEach
  void stop() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  @Test
  void imageRunsAsNonRootOnAReadOnlyRootAndServesAppTunnelAndJanitor() throws Exception {
    AgentImageBuild.assumeBuilt();
    ChrootContainer.cannotRun().ifPresent(AgentImageBuild::skipOrFail);

    OciImage image = OciImage.read(AgentImageBuild.TAR, work.resolve("oci"));
    Path rootfs = work.resolve("rootfs");
    image.unpack(rootfs);

    RestServer cluster = start(new RestServer("cluster"));
    RestServer local = start(new RestServer("local"));
    LeaseApiStandIn apiServer = apiServer();
    AgentSpec agent = new AgentSpec("ghcr.io/devproxy/traffic-agent:test", freePort(), freePort(),
        AgentSpec.defaultResources(), AgentSpec.tlsSecretName("orders"));
    int listenPort = freePort();
    Container container = InjectedAgentContainer.sidecar(agent, "orders", listenPort, cluster.address().getPort());

    DevproxyHome home = DevproxyHome.open(work.resolve("home"));
    Path tls = Files.createDirectories(work.resolve("agent-tls"));
    UserPki.loadOrCreate(home.pkiDir(), TunnelIntercepts.ownerName()).writeAgentTlsDir(tls, List.of(), List.of());
    List<Mount> mounts = new ArrayList<>();
    for (VolumeMount mount : container.getVolumeMounts()) {
      assertThat(mount.getName()).as("the agent's only volume").isEqualTo("devproxy-agent-tls");
      mounts.add(new Mount(secretVolume(tls, work.resolve("secret-volume")), mount.getMountPath(),
          Boolean.TRUE.equals(mount.getReadOnly())));
    }
    mounts.add(new Mount(serviceAccount(apiServer), SERVICE_ACCOUNT, true));
    Map<String, String> kubeletEnv = Map.of(
        "HOSTNAME", "orders-7c9d8f6b5-x2x4q",
        "KUBERNETES_SERVICE_HOST", "127.0.0.1",
        "KUBERNETES_SERVICE_PORT", Integer.toString(apiServer.port()),
        // The pod's 10 s would make this test wait that long for the janitor's first call.
        "DEVPROXY_LEASE_JANITOR_INTERVAL", "PT0.5S",
        // Refuses to start when the image's class-data archive cannot be mapped (the jar's path, size or time
        // changed since the dump), which the image's default, -Xshare:auto, would ignore silently.
        "JDK_JAVA_OPTIONS", "-Xshare:on");

    long startNanos = System.nanoTime();
    ChrootContainer agentContainer = start(ChrootContainer.start(rootfs, image.config(), container, mounts,
        kubeletEnv, work.resolve("agent.log")));
    URI readyz = URI.create("http://127.0.0.1:" + agent.adminPort() + "/readyz");
    await("the agent image's /readyz").atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
        .until(() -> {
          if (!agentContainer.isAlive()) {
            throw new AssertionError("the agent exited: " + agentContainer.log());
          }
          return status(readyz) == 200;
        });
    long readyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    System.out.printf("agent image %s: /readyz answered 200 %d ms after the start (chroot, read-only root)%n",
        image.digest(), readyMillis);

    assertThat(agentContainer.status("Uid")).isEqualTo("65532 65532 65532 65532");
    assertThat(agentContainer.status("Gid")).isEqualTo("65532 65532 65532 65532");
    assertThat(agentContainer.status("NoNewPrivs")).isEqualTo("1");
    assertThat(agentContainer.mountOptions("/").split(",")).contains("ro");
    assertThat(agentContainer.process().info().command()).hasValue(rootfs.resolve("opt/devproxy/java/bin/java")
        .toString());

    HttpResponse<String> unmatched = get(listenPort, null);
    assertThat(unmatched.statusCode()).isEqualTo(200);
    assertThat(unmatched.body()).as("unmatched requests go to the app").isEqualTo("cluster\n");

    EventLoopGroup daemonLoops = EventLoops.newGroup("image-test-daemon", 2);
    started.add(() -> daemonLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    TunnelIntercepts intercepts = start(TunnelIntercepts.create(home, daemonLoops));
    intercepts.intercept(InterceptRequest.newBuilder().setName("orders").setKey("alice")
        .setAgentAddress("127.0.0.1:" + agent.tunnelPort()).setLocalPort(local.address().getPort()).build());
    HttpResponse<String> matched = get(listenPort, "alice");
    assertThat(matched.statusCode()).isEqualTo(200);
    assertThat(matched.body()).as("a developer's request goes through the mTLS tunnel").isEqualTo("local\n");

    await("the lease janitor's call to the API server").atMost(WAIT).untilAsserted(() ->
        assertThat(apiCalls).as(agentContainer::log).contains("Bearer " + TOKEN + " GET /apis/coordination.k8s.io"
            + "/v1/namespaces/shop/leases?labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddevproxy"));

    assertThat(agentContainer.processesInside()).containsExactly(agentContainer.process().pid());
    agentContainer.close();
    System.out.println("the agent image's output:\n" + agentContainer.log());
    assertThat(agentContainer.isAlive()).isFalse();
    assertThat(agentContainer.processesInside()).as("processes left in the image's root").isEmpty();
    assertThat(agentContainer.mountsVisibleOutside()).as("mounts left on the image's root").isEmpty();
  }

  private <T extends AutoCloseable> T start(T closeable) {
    started.add(closeable);
    return closeable;
  }

  private RestServer start(RestServer server) throws Exception {
    started.add(server);
    server.start();
    return server;
  }

  /** The TLS Secret as the kubelet mounts it: the same files, mode 0644 (the Secret volume's defaultMode). */
  private static Path secretVolume(Path tls, Path volume) throws IOException {
    Files.createDirectories(volume);
    try (Stream<Path> files = Files.list(tls)) {
      for (Path file : files.toList()) {
        Path copy = Files.copy(file, volume.resolve(file.getFileName()));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwxr-xr-x"));
    return volume;
  }

  /** The pod's ServiceAccount volume: token, namespace and the API server's CA. */
  private Path serviceAccount(LeaseApiStandIn apiServer) throws IOException {
    Path dir = Files.createDirectories(work.resolve("serviceaccount"));
    Files.writeString(dir.resolve("token"), TOKEN);
    Files.writeString(dir.resolve("namespace"), NAMESPACE);
    Pem.writeCertificates(dir.resolve("ca.crt"), List.of(apiServer.clusterCa().certificate()));
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** An API server on 127.0.0.1 with a certificate from the cluster CA, answering every call with no Leases. */
  private LeaseApiStandIn apiServer() throws Exception {
    LeaseApiStandIn server = LeaseApiStandIn.start(work.resolve("cluster-ca"), exchange ->
        apiCalls.add(exchange.getRequestHeaders().getFirst("Authorization") + " " + exchange.getRequestMethod() + " "
            + exchange.getRequestURI()));
    started.add(server::close);
    return server;
  }

  private int status(URI uri) {
    try {
      return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private HttpResponse<String> get(int port, String session) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/who"))
        .timeout(Duration.ofSeconds(10));
    if (session != null) {
      request.header("x-devproxy-session", session);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
