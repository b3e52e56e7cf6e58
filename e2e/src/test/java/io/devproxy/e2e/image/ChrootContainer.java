package io.devproxy.e2e.image;

import static java.util.Objects.requireNonNull;

import io.devproxy.e2e.ChildProcess;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A container run from an unpacked image as a container runtime runs it, without one: in a mount namespace of its
 * own ({@code unshare}), the root file system bind-mounted read-only when the container's securityContext asks for
 * {@code readOnlyRootFilesystem}, {@code /proc}, a {@code /dev} tmpfs with the usual device nodes, the pod's volumes
 * bind-mounted; then {@code chroot} as the container's user, with no new privileges ({@code allowPrivilegeEscalation:
 * false}) and no variables but the image's and the pod's. It shares this machine's network namespace, as the
 * containers of a pod share one.
 *
 * <p>The process started is the entrypoint itself ({@code unshare}, {@code sh}, {@code setpriv} and {@code env} each
 * exec the next), so {@link #close()} signals the JVM directly; its mounts vanish with its mount namespace. Needs
 * root on Linux, util-linux ({@code unshare}, {@code setpriv}, {@code mount}) and coreutils. Not thread-safe.
 */
final class ChrootContainer implements AutoCloseable {

  /** A directory of this machine mounted into the container, as the kubelet mounts a volume. */
  record Mount(Path source, String containerPath, boolean readOnly) {
    Mount {
      requireNonNull(source, "source");
      requireNonNull(containerPath, "containerPath");
    }
  }

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final List<String> TOOLS = List.of("unshare", "setpriv", "env", "sh", "mount", "mknod");
  /** The nodes a container runtime creates in a container's /dev: name, major, minor. */
  private static final List<String[]> DEVICES = List.of(new String[] {"null", "1", "3"},
      new String[] {"zero", "1", "5"}, new String[] {"full", "1", "7"}, new String[] {"random", "1", "8"},
      new String[] {"urandom", "1", "9"}, new String[] {"tty", "5", "0"});

  private final ChildProcess child;
  private final Process process;
  private final Path rootfs;
  private final Path log;

  private ChrootContainer(ChildProcess child, Path rootfs, Path log) {
    this.child = child;
    this.process = child.process();
    this.rootfs = rootfs;
    this.log = log;
  }

  /** Why containers cannot run here (not Linux, not root, a tool missing); empty when they can. */
  static Optional<String> cannotRun() {
    if (!System.getProperty("os.name").equals("Linux")) {
      return Optional.of("running the agent image needs Linux, not " + System.getProperty("os.name"));
    }
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!Integer.valueOf(0).equals(uid)) {
        return Optional.of("running the agent image needs root (mount, chroot), and this test runs as uid " + uid);
      }
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("cannot tell whether this test runs as root: " + e.getMessage());
    }
    for (String tool : TOOLS) {
      if (executable(tool).isEmpty()) {
        return Optional.of("running the agent image needs " + tool + ", which is not on the PATH: install"
            + " util-linux and coreutils");
      }
    }
    return Optional.empty();
  }

  /**
   * Starts {@code container}'s process from {@code image} unpacked in {@code rootfs}: the image's entrypoint and
   * cmd, or the container's command and args; the image's variables, then the container's, then {@code kubeletEnv}
   * (the variables a kubelet adds: {@code HOSTNAME}, {@code KUBERNETES_SERVICE_*}); the container's runAsUser and
   * runAsGroup, else the image's user (numeric: {@code UID[:GID]}), with the group of that user's line in the
   * image's /etc/passwd when no group is given.
   *
   * @param mounts the volumes: one for each of the container's volumeMounts, and the kubelet's own (the
   *     ServiceAccount); a missing mount point is created in {@code rootfs}, as a runtime does
   * @param log where the process's standard output and error go
   */
  static ChrootContainer start(Path rootfs, OciImage.Config image, Container container, List<Mount> mounts,
      Map<String, String> kubeletEnv, Path log) throws IOException {
    List<String> command = new ArrayList<>(container.getCommand() == null || container.getCommand().isEmpty()
        ? image.entrypoint() : container.getCommand());
    command.addAll(container.getArgs() == null || container.getArgs().isEmpty()
        ? (container.getCommand() == null || container.getCommand().isEmpty() ? image.cmd() : List.of())
        : container.getArgs());
    if (command.isEmpty()) {
      throw new IllegalArgumentException("the image has no entrypoint or cmd and the container no command");
    }

    Map<String, String> env = new LinkedHashMap<>();
    for (String entry : image.env()) {
      int eq = entry.indexOf('=');
      env.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
      if (var.getValueFrom() != null) {
        throw new IllegalArgumentException("env " + var.getName() + ": valueFrom is not supported here");
      }
      env.put(var.getName(), var.getValue() == null ? "" : var.getValue());
    }
    env.putAll(kubeletEnv);

    SecurityContext security = container.getSecurityContext() == null ? new SecurityContext()
        : container.getSecurityContext();
    long uid;
    long gid;
    if (security.getRunAsUser() != null) {
      uid = security.getRunAsUser();
      gid = security.getRunAsGroup() != null ? security.getRunAsGroup() : passwdGroup(rootfs, uid).orElse(0L);
    } else {
      String[] user = image.user().isEmpty() ? new String[] {"0"} : image.user().split(":", 2);
      uid = Long.parseLong(user[0]);
      gid = security.getRunAsGroup() != null ? security.getRunAsGroup()
          : user.length == 2 ? Long.parseLong(user[1]) : passwdGroup(rootfs, uid).orElse(0L);
    }
    boolean readOnlyRoot = Boolean.TRUE.equals(security.getReadOnlyRootFilesystem());
    boolean noNewPrivileges = Boolean.FALSE.equals(security.getAllowPrivilegeEscalation());

    StringBuilder script = new StringBuilder("set -eu\n");
    if (readOnlyRoot) {
      script.append("mount --bind ").append(quote(rootfs)).append(' ').append(quote(rootfs)).append('\n')
          .append("mount -o remount,bind,ro ").append(quote(rootfs)).append('\n');
    }
    Path proc = Files.createDirectories(rootfs.resolve("proc"));
    Path dev = Files.createDirectories(rootfs.resolve("dev"));
    script.append("mount -t proc -o nosuid,nodev,noexec proc ").append(quote(proc)).append('\n')
        .append("mount -t tmpfs -o nosuid,mode=755,size=64k tmpfs ").append(quote(dev)).append('\n');
    for (String[] device : DEVICES) {
      script.append("mknod -m 666 ").append(quote(dev.resolve(device[0]))).append(" c ").append(device[1])
          .append(' ').append(device[2]).append('\n');
    }
    for (Mount mount : mounts) {
      Path target = Files.createDirectories(rootfs.resolve(mount.containerPath().replaceFirst("^/+", "")));
      script.append("mount --bind ").append(quote(mount.source())).append(' ').append(quote(target)).append('\n');
      if (mount.readOnly()) {
        script.append("mount -o remount,bind,ro ").append(quote(target)).append('\n');
      }
    }
    script.append("exec \"$@\"\n");

    List<String> line = new ArrayList<>(List.of(tool("unshare"), "--mount", "--propagation", "private",
        tool("sh"), "-c", script.toString(), "sh"));
    line.add(tool("setpriv"));
    if (noNewPrivileges) {
      line.add("--no-new-privs");
    }
    line.add(tool("env"));
    line.add("-i");
    env.forEach((k, v) -> line.add(k + "=" + v));
    line.addAll(List.of(tool("unshare"), "--root=" + rootfs,
        "--wd=" + (image.workingDir().isEmpty() ? "/" : image.workingDir()),
        "--setgid", Long.toString(gid), "--setuid", Long.toString(uid), "--"));
    line.addAll(command);

    ChildProcess child = ChildProcess.start(new ProcessBuilder(line).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())), "chroot-container", STOP_TIMEOUT);
    child.process().getOutputStream().close();
    return new ChrootContainer(child, rootfs, log);
  }

  /** The process: after the execs, the entrypoint's. */
  ProcessHandle process() {
    return process.toHandle();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** What the process printed so far. */
  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A line of {@code /proc/PID/status}, e.g. {@code Uid} gives {@code "65532 65532 65532 65532"}. */
  String status(String field) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      return lines.filter(l -> l.startsWith(field + ":")).findFirst()
          .map(l -> l.substring(field.length() + 1).strip().replaceAll("\\s+", " "))
          .orElseThrow(() -> new IOException("no " + field + " in /proc/" + process.pid() + "/status"));
    }
  }

  /** The mount options of the container's {@code path} as the process sees it ({@code /proc/PID/mountinfo}). */
  String mountOptions(String path) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc", Long.toString(process.pid()), "mountinfo"))) {
      // Fields: id, parent, major:minor, root, mount point, options, ...; the last mount on a point wins.
      return lines.map(l -> l.split(" ")).filter(f -> f[4].equals(path)).reduce((a, b) -> b).map(f -> f[5])
          .orElseThrow(() -> new IOException("nothing mounted on " + path + " for process " + process.pid()));
    }
  }

  /** This machine's mounts under the root file system: none while its own mount namespace holds them. */
  List<String> mountsVisibleOutside() throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      return lines.filter(l -> l.split(" ")[4].startsWith(rootfs.toString())).toList();
    }
  }

  /** The processes of this machine whose root directory is the container's root file system. */
  List<Long> processesInside() throws IOException {
    Path root = rootfs.toRealPath();
    List<Long> inside = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          if (Files.readSymbolicLink(proc.resolve("root")).equals(root)) {
            inside.add(Long.parseLong(proc.getFileName().toString()));
          }
        } catch (IOException gone) {
          // exited meanwhile, or not ours to read
        }
      }
    }
    return inside;
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and waits for it. Idempotent. */
  @Override
  public void close() {
    child.close();
  }


  private static Optional<Long> passwdGroup(Path rootfs, long uid) throws IOException {
    Path passwd = rootfs.resolve("etc/passwd");
    if (!Files.isRegularFile(passwd)) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(passwd)) {
      return lines.map(l -> l.split(":")).filter(f -> f.length > 3 && f[2].equals(Long.toString(uid)))
          .map(f -> Long.parseLong(f[3])).findFirst();
    }
  }

  private static String quote(Path path) {
    return "'" + path.toString().replace("'", "'\\''") + "'";
  }

  private static String tool(String name) {
    return executable(name).map(Path::toString).orElseThrow(() -> new IllegalStateException(name + " is missing"));
  }

  // Debian keeps mount and mknod in /usr/bin, setpriv and unshare too; /usr/sbin for older layouts.
  private static Optional<Path> executable(String name) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    return Stream.concat(Stream.of(path.split(File.pathSeparator)), Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
