package io.devproxy.daemon.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs {@code /usr/bin/curl}, bounded by a timeout, without the environment's proxy settings. */
final class Curl {

  /** Longer than any test needs: a curl that gets here hangs, which the test reports. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** What curl exited with and printed. */
  record Result(int exitCode, byte[] stdout, String stderr, Duration took) {
    String body() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  private Curl() {}

  static Result run(String... args) throws IOException, InterruptedException, ExecutionException {
    return runAs(List.of(), args);
  }

  /** As {@link #run}, with {@code prefix} before curl, e.g. {@code setpriv --reuid=65534 …} to run it as another user. */
  static Result runAs(List<String> prefix, String... args) throws IOException, InterruptedException, ExecutionException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of("/usr/bin/curl", "-sS", "--max-time", "20"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    for (String name : List.of("http_proxy", "https_proxy", "all_proxy", "no_proxy")) {
      builder.environment().remove(name);
      builder.environment().remove(name.toUpperCase(Locale.ROOT));
    }
    long start = System.nanoTime();
    Process process = builder.start();
    process.getOutputStream().close();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("curl " + command + " did not finish within " + TIMEOUT);
    }
    return new Result(process.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8),
        Duration.ofNanos(System.nanoTime() - start));
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        in.transferTo(bytes);
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
