package io.devproxy.agent.routing;

import static io.devproxy.agent.routing.RequestMatcherTest.exact;
import static io.devproxy.agent.routing.RequestMatcherTest.headers;
import static io.devproxy.agent.routing.RequestMatcherTest.key;
import static io.devproxy.agent.routing.RequestMatcherTest.pathExact;
import static io.devproxy.agent.routing.RequestMatcherTest.pathPrefix;
import static io.devproxy.agent.routing.RequestMatcherTest.pathRegex;
import static io.devproxy.agent.routing.RequestMatcherTest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.devproxy.proto.tunnel.Matcher;
import io.devproxy.proto.tunnel.Register;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sessions, their conflicts, their leases (grace period after a broken control stream) and routing order. */
class SessionRegistryTest {

  private static final Duration GRACE = Duration.ofMillis(100);

  /** Records scheduled tasks instead of running them; the test runs them when it decides time is up. */
  private static final class ManualScheduler extends ScheduledThreadPoolExecutor {
    final List<Runnable> tasks = new ArrayList<>();
    final List<Long> delaysNanos = new ArrayList<>();

    ManualScheduler() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      tasks.add(command);
      delaysNanos.add(unit.toNanos(delay));
      return null; // the registry does not use it
    }

    void runAll() {
      List<Runnable> due = new ArrayList<>(tasks);
      tasks.clear();
      due.forEach(Runnable::run);
    }
  }

  private final ManualScheduler manual = new ManualScheduler();
  private final List<ScheduledExecutorService> schedulers = new ArrayList<>(List.of(manual));
  private final List<Session> dropped = new CopyOnWriteArrayList<>();

  @AfterEach
  void stopSchedulers() {
    schedulers.forEach(ScheduledExecutorService::shutdownNow);
  }

  private SessionRegistry manualRegistry() {
    SessionRegistry registry = new SessionRegistry(GRACE, manual);
    registry.onDrop(dropped::add);
    return registry;
  }

  private SessionRegistry realTimeRegistry() {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "grace-scheduler");
      thread.setDaemon(true);
      return thread;
    });
    schedulers.add(scheduler);
    SessionRegistry registry = new SessionRegistry(GRACE, scheduler);
    registry.onDrop(dropped::add);
    return registry;
  }

  private static Register register(String sessionId, String owner, String name, Matcher matcher) {
    return Register.newBuilder()
        .setSessionId(sessionId)
        .setClientId("client-" + sessionId)
        .setOwner(owner)
        .setName(name)
        .setMatcher(matcher)
        .build();
  }

  private static SessionRegistry.Registration accepted(SessionRegistry.Registration registration) {
    assertThat(registration.rejection()).as("rejection").isNull();
    assertThat(registration.session()).isNotNull();
    return registration;
  }

  private static RequestMatcher.Request withKey(String key) {
    return request("/", "x-devproxy-session", key);
  }

  // ---- registration and routing ----

  @Test
  void registeredSessionReceivesItsRequests() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    SessionRegistry.Registration registration =
        accepted(registry.register(register("s1", "alice@laptop", "orders", key("alice")), control));
    Session session = registration.session();

    assertThat(registration.resumed()).isFalse();
    assertThat(session.id()).isEqualTo("s1");
    assertThat(session.owner()).isEqualTo("alice@laptop");
    assertThat(session.name()).isEqualTo("orders");
    assertThat(session.clientId()).isEqualTo("client-s1");
    assertThat(session.connected()).isTrue();
    assertThat(session.dropped()).isFalse();
    assertThat(session.matcher()).hasToString("x-devproxy-session: alice or baggage devproxy-session=alice");
    assertThat(registry.sessions()).containsExactly(session);
    assertThat(registry.route(withKey("alice"))).isSameAs(session);
    assertThat(registry.route(request("/", "baggage", "devproxy-session=alice"))).isSameAs(session);
  }

  @Test
  void routeReturnsNullWhenNothingMatches() {
    SessionRegistry registry = manualRegistry();
    assertThat(registry.route(withKey("alice"))).isNull();

    accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));
    accepted(registry.register(register("s2", "carol", "orders", pathPrefix("/admin/")), new Object()));
    assertThat(registry.route(withKey("bob"))).isNull();
    assertThat(registry.route(request("/api/orders"))).isNull();
  }

  @Test
  void resumingBySessionIdKeepsTheSessionAndItsRequestCounter() {
    SessionRegistry registry = manualRegistry();
    Object firstControl = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), firstControl))
        .session();
    session.countRequest();
    session.countRequest();
    registry.disconnected("s1", firstControl);
    assertThat(session.connected()).isFalse();

    SessionRegistry.Registration resumed =
        accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));

    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.session()).isSameAs(session);
    assertThat(session.connected()).isTrue();
    assertThat(session.requests()).isEqualTo(2);
    assertThat(registry.sessions()).containsExactly(session);
    assertThat(registry.route(withKey("alice"))).isSameAs(session);
  }

  @Test
  void resumingMayChangeTheMatcherAndTheDaemon() {
    SessionRegistry registry = manualRegistry();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()))
        .session();

    Register changed = register("s1", "alice", "orders", key("alice-2")).toBuilder().setClientId("client-new").build();
    assertThat(accepted(registry.register(changed, new Object())).resumed()).isTrue();

    assertThat(session.clientId()).isEqualTo("client-new");
    assertThat(registry.route(withKey("alice-2"))).isSameAs(session);
    assertThat(registry.route(withKey("alice"))).isNull();
  }

  // ---- conflicts ----

  @Test
  void sameKeyForAnotherSessionIsRejectedNamingTheOtherOwnerAndIntercept() {
    SessionRegistry registry = manualRegistry();
    Session alice = accepted(registry.register(register("s1", "alice@laptop", "orders", key("team")), new Object()))
        .session();

    SessionRegistry.Registration rejected =
        registry.register(register("s2", "bob@desktop", "payments", key("team")), new Object());

    assertThat(rejected.session()).isNull();
    assertThat(rejected.resumed()).isFalse();
    assertThat(rejected.rejection())
        .contains("alice@laptop")
        .contains("intercept 'orders'")
        .contains("x-devproxy-session: team")
        .doesNotContain("bob@desktop");
    assertThat(registry.sessions()).containsExactly(alice);
    assertThat(registry.route(withKey("team"))).isSameAs(alice);
  }

  @Test
  void differentKeysAreBothAcceptedAndRoutedApart() {
    SessionRegistry registry = manualRegistry();
    Session alice = accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()))
        .session();
    Session bob = accepted(registry.register(register("s2", "bob", "orders", key("bob")), new Object())).session();

    assertThat(registry.sessions()).containsExactly(alice, bob);
    assertThat(registry.route(withKey("alice"))).isSameAs(alice);
    assertThat(registry.route(withKey("bob"))).isSameAs(bob);
    assertThat(registry.route(request("/", "baggage", "devproxy-session=bob"))).isSameAs(bob);
  }

  @Test
  void overlappingPathOnlySessionsConflict() {
    SessionRegistry registry = manualRegistry();
    accepted(registry.register(register("s1", "alice", "orders", pathPrefix("/api/")), new Object()));

    SessionRegistry.Registration underPrefix =
        registry.register(register("s2", "bob", "orders", pathExact("/api/orders")), new Object());
    SessionRegistry.Registration regex =
        registry.register(register("s3", "carol", "orders", pathRegex("/other/.*")), new Object());

    assertThat(underPrefix.session()).isNull();
    assertThat(underPrefix.rejection()).contains("alice").contains("'orders'");
    assertThat(regex.session()).as("a regex path is assumed to overlap").isNull();
    assertThat(registry.sessions()).hasSize(1);
  }

  @Test
  void disjointPathOnlySessionsAreBothAcceptedAndRoutedApart() {
    SessionRegistry registry = manualRegistry();
    Session orders = accepted(registry.register(register("s1", "alice", "svc", pathPrefix("/orders/")), new Object()))
        .session();
    Session users = accepted(registry.register(register("s2", "bob", "svc", pathPrefix("/users/")), new Object()))
        .session();

    assertThat(registry.route(request("/orders/1?x=y"))).isSameAs(orders);
    assertThat(registry.route(request("/users/7"))).isSameAs(users);
    assertThat(registry.route(request("/items/1"))).isNull();
  }

  @Test
  void sameHeaderMatcherSpelledDifferentlyConflicts() {
    SessionRegistry registry = manualRegistry();
    accepted(registry.register(register("s1", "alice", "orders",
        headers(exact("X-Tenant", "acme"), exact("x-user", "qa"))), new Object()));

    SessionRegistry.Registration sameHeaders = registry.register(register("s2", "bob", "orders",
        headers(exact("x-user", "qa"), exact("x-tenant", "acme"))), new Object());

    assertThat(sameHeaders.session()).isNull();
    assertThat(sameHeaders.rejection()).contains("alice");
  }

  @Test
  void invalidMatcherIsRejectedWithTheReason() {
    SessionRegistry registry = manualRegistry();

    SessionRegistry.Registration empty =
        registry.register(register("s1", "alice", "orders", Matcher.getDefaultInstance()), new Object());
    SessionRegistry.Registration badRegex =
        registry.register(register("s2", "alice", "orders", pathRegex("/orders/(")), new Object());

    assertThat(empty.session()).isNull();
    assertThat(empty.rejection()).startsWith("invalid matcher:").contains("empty matcher");
    assertThat(badRegex.session()).isNull();
    assertThat(badRegex.rejection()).startsWith("invalid matcher:").contains("bad regex '/orders/('");
    assertThat(registry.sessions()).isEmpty();
  }

  @Test
  void rejectedResumeLeavesTheSessionAsItWas() {
    SessionRegistry registry = manualRegistry();
    accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));
    Object bobControl = new Object();
    Session bob = accepted(registry.register(register("s2", "bob", "orders", key("bob")), bobControl)).session();

    SessionRegistry.Registration takeAlicesKey =
        registry.register(register("s2", "bob", "orders", key("alice")), new Object());

    assertThat(takeAlicesKey.session()).isNull();
    assertThat(takeAlicesKey.rejection()).contains("alice");
    assertThat(registry.route(withKey("bob"))).isSameAs(bob);
    assertThat(bob.matcher()).hasToString("x-devproxy-session: bob or baggage devproxy-session=bob");
    // Still held by its original control stream: that stream's break starts the grace period.
    registry.disconnected("s2", bobControl);
    assertThat(bob.connected()).isFalse();
  }

  @Test
  void aSessionInItsGracePeriodStillHoldsItsKey() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    accepted(registry.register(register("s1", "alice", "orders", key("alice")), control));
    registry.disconnected("s1", control);

    SessionRegistry.Registration other = registry.register(register("s2", "bob", "orders", key("alice")), new Object());

    assertThat(other.session()).isNull();
    assertThat(other.rejection()).contains("alice");
  }

  // ---- routing order ----

  @Test
  void headerBasedSessionsAreRoutedBeforePathOnlyOnes() {
    SessionRegistry registry = manualRegistry();
    // Registered first, and claims every path.
    Session everything = accepted(registry.register(register("s1", "carol", "svc", pathPrefix("/")), new Object()))
        .session();
    Session alice = accepted(registry.register(register("s2", "alice", "svc", key("alice")), new Object())).session();
    Session bob = accepted(registry.register(register("s3", "bob", "svc", headers(exact("x-user", "bob"))),
        new Object())).session();

    assertThat(registry.route(withKey("alice"))).isSameAs(alice);
    assertThat(registry.route(request("/orders", "X-User", "bob"))).isSameAs(bob);
    assertThat(registry.route(request("/orders"))).isSameAs(everything);
    assertThat(registry.route(withKey("nobody"))).isSameAs(everything);
  }

  @Test
  void routingOrderFollowsAResumeThatTurnsAPathSessionIntoAHeaderSession() {
    SessionRegistry registry = manualRegistry();
    accepted(registry.register(register("s1", "carol", "svc", pathPrefix("/a")), new Object()));
    Session bob = accepted(registry.register(register("s2", "bob", "svc", pathPrefix("/b")), new Object())).session();
    Session carol = accepted(registry.register(register("s1", "carol", "svc", key("carol")), new Object())).session();

    assertThat(registry.route(request("/a/1"))).isNull();
    assertThat(registry.route(request("/b/1", "x-devproxy-session", "carol"))).isSameAs(carol);
    assertThat(registry.route(request("/b/1"))).isSameAs(bob);
  }

  // ---- leases ----

  @Test
  void disconnectedSessionIsDroppedAfterTheGracePeriod() {
    SessionRegistry registry = realTimeRegistry();
    Object control = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), control))
        .session();
    List<String> listenerThreads = new CopyOnWriteArrayList<>();
    registry.onDrop(s -> listenerThreads.add(Thread.currentThread().getName()));
    long start = System.nanoTime();

    registry.disconnected("s1", control);

    await().atMost(Duration.ofSeconds(5)).until(() -> !listenerThreads.isEmpty()); // the last listener
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(GRACE);
    assertThat(dropped).containsExactly(session);
    assertThat(session.dropped()).isTrue();
    assertThat(listenerThreads).containsExactly("grace-scheduler");
    assertThat(registry.sessions()).isEmpty();
    assertThat(registry.route(withKey("alice"))).isNull();
  }

  @Test
  void disconnectedSessionStillRoutesDuringTheGracePeriod() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), control))
        .session();

    registry.disconnected("s1", control);

    assertThat(manual.delaysNanos).containsExactly(GRACE.toNanos());
    assertThat(session.connected()).isFalse();
    assertThat(session.dropped()).isFalse();
    assertThat(registry.route(withKey("alice"))).isSameAs(session);

    manual.runAll();
    assertThat(dropped).containsExactly(session);
    assertThat(registry.route(withKey("alice"))).isNull();
  }

  @Test
  void sessionThatReconnectsWithinTheGracePeriodIsNotDropped() {
    SessionRegistry registry = manualRegistry();
    Object firstControl = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), firstControl))
        .session();
    registry.disconnected("s1", firstControl);

    assertThat(accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object())).resumed())
        .isTrue();
    manual.runAll(); // the grace period ends

    assertThat(dropped).isEmpty();
    assertThat(session.dropped()).isFalse();
    assertThat(session.connected()).isTrue();
    assertThat(registry.route(withKey("alice"))).isSameAs(session);
  }

  @Test
  void sessionThatReconnectsWithinTheGracePeriodIsNotDroppedInRealTime() {
    SessionRegistry registry = realTimeRegistry();
    Object firstControl = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), firstControl))
        .session();
    registry.disconnected("s1", firstControl);
    accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));

    await().during(GRACE.multipliedBy(3)).atMost(Duration.ofSeconds(5)).until(() -> !session.dropped());
    assertThat(dropped).isEmpty();
    assertThat(registry.route(withKey("alice"))).isSameAs(session);
  }

  @Test
  void aSecondBreakRestartsTheGracePeriod() {
    SessionRegistry registry = manualRegistry();
    Object first = new Object();
    Object second = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), first)).session();
    registry.disconnected("s1", first);
    accepted(registry.register(register("s1", "alice", "orders", key("alice")), second));
    registry.disconnected("s1", second);
    assertThat(manual.tasks).hasSize(2);
    Runnable firstExpiry = manual.tasks.get(0);
    Runnable secondExpiry = manual.tasks.get(1);

    firstExpiry.run();
    assertThat(dropped).as("the first break's expiry no longer applies").isEmpty();
    assertThat(registry.route(withKey("alice"))).isSameAs(session);

    secondExpiry.run();
    assertThat(dropped).containsExactly(session);
  }

  @Test
  void aStaleStreamsBreakDoesNotStartTheGracePeriod() {
    SessionRegistry registry = manualRegistry();
    Object old = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), old)).session();
    // The daemon reconnected before the agent noticed the old stream broke.
    accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));

    registry.disconnected("s1", old);

    assertThat(manual.tasks).isEmpty();
    assertThat(session.connected()).isTrue();
  }

  @Test
  void breakOfAnUnknownSessionIsIgnored() {
    SessionRegistry registry = manualRegistry();
    registry.disconnected("nope", new Object());
    assertThat(manual.tasks).isEmpty();
    assertThat(dropped).isEmpty();
  }

  @Test
  void unregisterDropsAtOnce() {
    SessionRegistry registry = manualRegistry();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()))
        .session();

    registry.unregister("s1");

    assertThat(dropped).containsExactly(session);
    assertThat(session.dropped()).isTrue();
    assertThat(registry.sessions()).isEmpty();
    assertThat(registry.route(withKey("alice"))).isNull();
    assertThat(manual.tasks).isEmpty();
  }

  @Test
  void unregisterOfAnUnknownSessionIsIgnored() {
    SessionRegistry registry = manualRegistry();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()))
        .session();

    registry.unregister("nope");

    assertThat(dropped).isEmpty();
    assertThat(registry.route(withKey("alice"))).isSameAs(session);
  }

  @Test
  void unregisterDuringTheGracePeriodDropsOnlyOnce() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    Session session = accepted(registry.register(register("s1", "alice", "orders", key("alice")), control))
        .session();
    registry.disconnected("s1", control);

    registry.unregister("s1");
    manual.runAll();

    assertThat(dropped).containsExactly(session);
  }

  @Test
  void aDroppedSessionsKeyIsFreeForAnotherSession() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    Session alice = accepted(registry.register(register("s1", "alice", "orders", key("team")), control)).session();
    registry.disconnected("s1", control);
    manual.runAll();

    Session bob = accepted(registry.register(register("s2", "bob", "orders", key("team")), new Object())).session();

    assertThat(registry.route(withKey("team"))).isSameAs(bob);
    assertThat(alice.dropped()).isTrue();
  }

  @Test
  void aSessionIdRegisteringAfterItsDropStartsAfresh() {
    SessionRegistry registry = manualRegistry();
    Object control = new Object();
    Session old = accepted(registry.register(register("s1", "alice", "orders", key("alice")), control)).session();
    old.countRequest();
    registry.disconnected("s1", control);
    manual.runAll();

    SessionRegistry.Registration again =
        accepted(registry.register(register("s1", "alice", "orders", key("alice")), new Object()));

    assertThat(again.resumed()).isFalse();
    assertThat(again.session()).isNotSameAs(old);
    assertThat(again.session().requests()).isZero();
    assertThat(again.session().dropped()).isFalse();
  }
}
