package io.devproxy.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code java -jar devproxy-daemon.jar --home HOME} detached: its own session (through
 * {@code setsid}, where there is one) so a Ctrl-C or a closed terminal does not reach it, stdin from
 * {@code /dev/null}, stdout and stderr appended to {@code logs/daemon.out}, working directory the home.
 * The Java is the one running the CLI, else {@code java} on the PATH.
 */
public final class ProcessDaemonLauncher implements DaemonLauncher {

  private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

  @Override
  public ProcessHandle launch(HomeDir home) throws DaemonUnreachableException {
    Path jar = DaemonJar.locate(System::getProperty, System::getenv, DaemonJar.cliLocation());
    List<String> command = command(jar, home);
    createPrivateFile(home.outFile());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(home.dir().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.outFile().toFile()))
            .redirectErrorStream(true);
    try {
      return builder.start().toHandle();
    } catch (IOException e) {
      throw new DaemonUnreachableException(
          "cannot start the daemon (" + String.join(" ", command) + "): " + e.getMessage(), e);
    }
  }

  private static void createPrivateFile(Path file) throws DaemonUnreachableException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      // Appended to.
    } catch (IOException | UnsupportedOperationException e) {
      throw new DaemonUnreachableException("cannot start the daemon: cannot create " + file + ": " + e, e);
    }
  }

  static List<String> command(Path jar, HomeDir home) {
    List<String> command = new ArrayList<>();
    SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(setsid -> command.add(setsid.toString()));
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-jar");
    command.add(jar.toString());
    command.add("--home");
    command.add(home.dir().toString());
    return command;
  }
}
