package io.devproxy.daemon.outbound;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/** The outbound tests' shared life cycle: one {@link ProxyFixture} per test class, every test bounded. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class FixtureTest {

  static ProxyFixture fixture;

  @BeforeAll
  static void startServers() throws IOException {
    fixture = new ProxyFixture();
  }

  @AfterAll
  static void stopServers() throws IOException {
    fixture.close();
  }
}
