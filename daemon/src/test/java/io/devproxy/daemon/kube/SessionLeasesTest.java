package io.devproxy.daemon.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.devproxy.daemon.kube.testing.MovingClock;
import io.devproxy.tunnel.errors.DevproxyException;
import io.devproxy.tunnel.errors.ErrorCategory;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class SessionLeasesTest {

  static KubernetesMockServer server;
  static KubernetesClient client;

  private static final String NS = "shop";
  private static final String SESSION = "3f2a9c1e-7b4d-4e8a-9f00-123456789abc";
  private static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");


  private final MovingClock clock = new MovingClock(T0);

  @BeforeEach
  void clean() {
    client.leases().inNamespace(NS).delete();
  }

  private static Lease lease(String name) {
    return client.leases().inNamespace(NS).withName(name).get();
  }

  private static Instant renewTime(String name) {
    return lease(name).getSpec().getRenewTime().toInstant();
  }

  private Lease acquire(SessionLeases leases, String session) throws DevproxyException {
    return leases.acquire(NS, session, "alice@laptop", "Deployment", "orders", "orders-8080");
  }

  @Test
  void acquireCreatesLabelledLeaseHeldByOwner() throws Exception {
    Lease returned = acquire(new SessionLeases(client, clock), SESSION);

    assertThat(returned.getMetadata().getName()).isEqualTo("devproxy-3f2a9c1e7b4d4e8a9f00123456789abc");
    Lease lease = lease("devproxy-3f2a9c1e7b4d4e8a9f00123456789abc");
    assertThat(lease.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "devproxy")
        .containsEntry("devproxy.io/session", SESSION);
    assertThat(lease.getMetadata().getAnnotations())
        .containsEntry("devproxy.io/workload", "Deployment/orders")
        .containsEntry("devproxy.io/intercept", "orders-8080");
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("alice@laptop");
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(30);
    assertThat(lease.getSpec().getRenewTime().toInstant()).isEqualTo(T0);
  }

  @Test
  void acquireAgainBySameSessionRenews() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock);
    acquire(leases, SESSION);
    clock.advance(Duration.ofSeconds(5));

    acquire(new SessionLeases(client, clock), SESSION);

    assertThat(renewTime("devproxy-3f2a9c1e7b4d4e8a9f00123456789abc")).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void acquireOfNameHeldByAnotherSessionFails() throws Exception {
    acquire(new SessionLeases(client, clock), SESSION);

    DevproxyException e = catchThrowableOfType(DevproxyException.class,
        () -> acquire(new SessionLeases(client, clock), "3f2a9c1e7b4d4e8a9f00123456789abc"));

    assertThat(e.category()).isEqualTo(ErrorCategory.CLUSTER);
    assertThat(e.getMessage()).contains("devproxy-3f2a9c1e7b4d4e8a9f00123456789abc", "another session");
  }

  @Test
  void renewMovesRenewTimeAndKeepsLeaseFromExpiring() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock);
    String name = acquire(leases, SESSION).getMetadata().getName();

    clock.advance(Duration.ofSeconds(25));
    leases.renew(NS, name);
    assertThat(renewTime(name)).isEqualTo(T0.plusSeconds(25));
    clock.advance(Duration.ofSeconds(25));
    assertThat(leases.expired(NS)).isEmpty();

    clock.advance(Duration.ofSeconds(6));
    assertThat(leases.expired(NS)).extracting(l -> l.getMetadata().getName()).containsExactly(name);
  }

  @Test
  void expiredListsOnlyDevproxySessionLeases() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock);
    acquire(leases, SESSION);
    acquire(leases, "aaaa1111-fresh");
    client.leases().inNamespace(NS).resource(new LeaseBuilder()
        .withNewMetadata().withName("kube-scheduler").endMetadata()
        .withNewSpec().withHolderIdentity("x").withLeaseDurationSeconds(1)
            .withRenewTime(ZonedDateTime.ofInstant(T0, ZoneOffset.UTC)).endSpec()
        .build()).create();
    clock.advance(Duration.ofSeconds(20));
    leases.renew(NS, SessionLeases.leaseName("aaaa1111-fresh"));

    clock.advance(Duration.ofSeconds(15));

    assertThat(leases.expired(NS)).extracting(l -> l.getMetadata().getName())
        .containsExactly("devproxy-3f2a9c1e7b4d4e8a9f00123456789abc");
  }

  @Test
  void releaseDeletesLeaseAndRenewThenFails() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock);
    String name = acquire(leases, SESSION).getMetadata().getName();

    leases.release(NS, name);
    leases.release(NS, name);

    assertThat(lease(name)).isNull();
    DevproxyException e = catchThrowableOfType(DevproxyException.class, () -> leases.renew(NS, name));
    assertThat(e.category()).isEqualTo(ErrorCategory.USER);
    assertThat(lease(name)).isNull();
  }

  @Test
  void renewAfterLeaseWasDeletedRecreatesIt() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock);
    String name = acquire(leases, SESSION).getMetadata().getName();
    client.leases().inNamespace(NS).withName(name).delete();
    clock.advance(Duration.ofSeconds(7));

    leases.renew(NS, name);

    Lease lease = lease(name);
    assertThat(lease.getSpec().getRenewTime().toInstant()).isEqualTo(T0.plusSeconds(7));
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("alice@laptop");
    assertThat(lease.getMetadata().getLabels()).containsEntry("devproxy.io/session", SESSION);
    assertThat(lease.getMetadata().getAnnotations()).containsEntry("devproxy.io/workload", "Deployment/orders");
  }

  @Test
  void keeperRenewsEveryThirdOfDurationAndSurvivesFailures() throws Exception {
    SessionLeases leases = new SessionLeases(client, clock, Duration.ofSeconds(3));
    String name = acquire(leases, SESSION).getMetadata().getName();
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (LeaseKeeper keeper = new LeaseKeeper(leases, executor)) {
      assertThat(keeper.period()).isEqualTo(Duration.ofSeconds(1));
      keeper.add(NS, "devproxy-unknown");
      keeper.add(NS, name);
      keeper.start();

      clock.advance(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(5)).untilAsserted(
          () -> assertThat(renewTime(name)).isEqualTo(T0.plusSeconds(10)));
      clock.advance(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(5)).untilAsserted(
          () -> assertThat(renewTime(name)).isEqualTo(T0.plusSeconds(20)));

      keeper.close();
      // The executor has one thread: once this no-op ran, no renewal is in flight.
      executor.submit(() -> { }).get(5, TimeUnit.SECONDS);
      clock.advance(Duration.ofSeconds(10));
      await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
          .until(() -> renewTime(name).equals(T0.plusSeconds(20)));
    } finally {
      executor.shutdownNow();
      assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }
}
