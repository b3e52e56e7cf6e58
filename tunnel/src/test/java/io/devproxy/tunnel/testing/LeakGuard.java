package io.devproxy.tunnel.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer (or any other tracked resource).
 *
 * <p>Registered for every test class of every module that has the tunnel test-jar on its test class path,
 * through {@code META-INF/services/org.junit.jupiter.api.extension.Extension}; the parent POM turns on
 * JUnit's extension auto-detection in surefire. Auto-detected extensions are loaded when the Jupiter engine
 * starts, before any test initialises Netty's buffer classes, so the detector factory installed here is the
 * one {@code ByteBuf}'s leak detector comes from. If it was not (Netty initialised first), {@link #afterAll}
 * fails instead of silently guarding nothing.
 *
 * <p>After each class (after its {@code @AfterAll} methods closed the servers) it runs the GC and makes Netty
 * look for collected, unreleased buffers; surefire runs with {@code -Dio.netty.leakDetectionLevel=paranoid},
 * so every buffer is tracked. A leak is seen by the class whose GC collects it, usually the one that leaked.
 *
 * <p>The sandbox module keeps its own copy ({@code io.devproxy.sandbox.LeakGuard}): it does not depend on
 * this module.
 */
public final class LeakGuard implements AfterAllCallback {

  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  /** The resource types our factory made detectors for. */
  private static final Set<String> TRACKED = ConcurrentHashMap.newKeySet();

  static {
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    List<String> leaks = collectLeaks();
    if (!guardsByteBufs()) {
      throw new AssertionError("LeakGuard was installed after Netty created ByteBuf's leak detector, so leaks"
          + " would go unnoticed: keep junit.jupiter.extensions.autodetection.enabled=true in surefire's"
          + " configurationParameters and do not touch Netty in a test engine or listener");
    }
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " Netty leak report(s) after " + context.getDisplayName()
          + " (whoever consumes a ByteBuf releases it, failure paths included):\n" + String.join("\n\n", leaks));
    }
  }

  /** Whether {@code ByteBuf}'s leak detector is one of ours (initialises Netty's buffers if they were not). */
  public static boolean guardsByteBufs() {
    ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(1);
    probe.release();
    return TRACKED.contains(ByteBuf.class.getName());
  }

  /** Runs the GC, lets Netty report what it found unreleased, and returns (and forgets) the reports. */
  public static List<String> collectLeaks() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      awaitGc();
      // Netty looks for collected, unreleased buffers when it tracks a new one.
      ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(1);
      probe.release();
    }
    List<String> leaks = new ArrayList<>(LEAKS);
    LEAKS.removeAll(leaks);
    return leaks;
  }

  /** Runs a GC and waits until references it cleared are enqueued, using a sentinel cleared with them. */
  private static void awaitGc() throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
    for (int i = 0; i < 20; i++) {
      System.gc();
      if (queue.remove(50) != null) {
        break;
      }
    }
    sentinel.clear();
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
      TRACKED.add(resource.getName());
      return new RecordingDetector<>(resource, samplingInterval);
    }

    // Still abstract in Netty 4.2, though deprecated: it has to be implemented.
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
        long maxActive) {
      return newResourceLeakDetector(resource, samplingInterval);
    }
  }

  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    // Netty reports only when its logger logs errors; a test's logging setup must not silence the guard.
    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add("LEAK: " + resourceType + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add("LEAK: " + resourceType + " (no records)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
