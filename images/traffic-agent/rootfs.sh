#!/usr/bin/env bash
# Lays out the traffic agent image's files under OUT:
#   opt/devproxy/java    a jlinked Java runtime with the modules named in java-modules
#   opt/devproxy/devproxy-traffic-agent.jar, opt/devproxy/jvm.options   the agent and its JVM flags (jvm.options
#                        beside this file, plus the class-data archive's flag)
#   opt/devproxy/agent.jsa   a class-data-sharing archive of the JDK's and the agent's classes named in
#                        agent.classlist, so that the agent maps them at start instead of loading them (about 0.5 s
#                        less to ready); dumped under chroot, as the archive records the jar's path. JDK 17 does not
#                        dump the same bytes twice (not even for its own class list), so this file differs from build
#                        to build while every other file is the same; DEVPROXY_CLASS_ARCHIVE=false leaves it out.
#   lib*/, usr/lib*/     the dynamic loader and every shared library ldd lists for the runtime, at the paths the
#                        loader finds them at, as regular files (Jib leaves symbolic links out of an image)
#   etc/passwd, etc/group, etc/nsswitch.conf   user and group nonroot (65532), as in the distroless images
#   tmp/                 mode 1777
# The Dockerfile's build stage and the Maven profile 'image' (traffic-agent/pom.xml) both run it, so the two
# images hold the same files. Needs bash, coreutils, grep, sed and glibc's ldd. The class-data archive is dumped by
# the image's own java under chroot: as root, or as any user where unprivileged user namespaces are allowed
# (util-linux's unshare --map-root-user; most Linux distributions allow them).
#
# Usage: rootfs.sh JAVA_HOME AGENT_JAR OUT [ARCH]
#   JAVA_HOME  a JDK 17: its jlink and jmods make the runtime
#   AGENT_JAR  the shaded agent jar (traffic-agent/target/devproxy-traffic-agent.jar)
#   OUT        made anew (deleted first)
#   ARCH       when given, the machine (uname -m) this must run on: the libraries copied are this machine's
# Environment: DEVPROXY_CLASS_ARCHIVE=false for no class-data archive (default true).
set -euo pipefail

fail() {
  echo "rootfs.sh: $*" >&2
  exit 1
}

[ $# -ge 3 ] || fail "expected JAVA_HOME AGENT_JAR OUT [ARCH], got $# arguments: see the usage at the top of $0"
here="$(cd "$(dirname "$0")" && pwd)"
java_home="$1"
agent_jar="$2"
out="$3"
arch="${4:-}"
class_archive="${DEVPROXY_CLASS_ARCHIVE:-true}"
case "$class_archive" in
  true | false) ;;
  *) fail "DEVPROXY_CLASS_ARCHIVE is '$class_archive': expected true or false" ;;
esac

[ "$(uname -s)" = Linux ] || fail "the image takes its libraries from this machine, which runs $(uname -s): build on Linux, or with the Dockerfile"
[ -x "$java_home/bin/jlink" ] || fail "no jlink in $java_home/bin: give the home directory of a JDK 17, not a JRE"
if [ -n "$arch" ] && [ "$(uname -m)" != "$arch" ]; then
  fail "this machine is $(uname -m) but the image is for $arch: build it on $arch, or with the Dockerfile"
fi
[ -f "$agent_jar" ] || fail "$agent_jar is missing: build it first (./mvnw -pl traffic-agent -am package -DskipTests)"
command -v ldd >/dev/null 2>&1 || fail "ldd is missing: install glibc's tools (Debian and Ubuntu: libc-bin)"

modules="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/java-modules" | { grep -v '^$' || true; } | paste -sd, -)"
[ -n "$modules" ] || fail "$here/java-modules names no module"

rm -rf "$out"
mkdir -p "$out/opt/devproxy"
runtime="$out/opt/devproxy/java"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --output "$runtime"
# jlink links each module's legal notices to java.base's copies; Jib would leave the links out.
while IFS= read -r -d '' link; do
  target="$(readlink -f "$link")"
  rm "$link"
  cp "$target" "$link"
done < <(find "$runtime" -type l -print0)

is_elf() {
  [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 7f454c46 ]
}

# ldd lists the whole closure (libstdc++ brings libm and libgcc_s), the loader included. The runtime's own
# libraries stay where jlink put them; LD_LIBRARY_PATH shows ldd the ones the JVM has loaded before (libjvm.so).
runtime_real="$(cd "$runtime" && pwd -P)"
libraries=()
while IFS= read -r -d '' file; do
  is_elf "$file" || continue
  listing="$(LD_LIBRARY_PATH="$runtime/lib:$runtime/lib/server" ldd "$file" 2>&1 || true)"
  case "$listing" in
    *"not a dynamic executable"* | *"statically linked"*) continue ;;
  esac
  missing="$(grep -m1 'not found' <<<"$listing" | sed -e 's/^[[:space:]]*//' -e 's/ =>.*//' || true)"
  if [ -n "$missing" ]; then
    fail "$file needs $missing, which this machine lacks: install it and run again"
  fi
  while IFS= read -r path; do
    real="$(readlink -f "$path")"
    case "$real" in
      "$runtime_real"/*) ;;
      *) libraries+=("$path") ;;
    esac
  done < <(sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p' <<<"$listing")
done < <(find "$runtime" -type f -print0 | LC_ALL=C sort -z)
[ "${#libraries[@]}" -gt 0 ] || fail "ldd listed no library for $runtime/bin/java: is glibc's ldd working here?"

# install copies the target of a symbolic link (libz.so.1 -> libz.so.1.2.13) as a regular file at the link's path.
printf '%s\n' "${libraries[@]}" | LC_ALL=C sort -u | while IFS= read -r path; do
  install -D -m 755 "$path" "$out$path"
done

mkdir -p "$out/etc" "$out/tmp"
cat >"$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin
EOF
cat >"$out/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
# Without this file glibc asks DNS before /etc/hosts.
cat >"$out/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF

# The modes the Maven profile gives Jib too: 755 for directories and ELF files, 644 for the rest, /tmp 1777.
find "$out" -type d -exec chmod 755 {} +
find "$out" -type f -exec chmod 644 {} +
while IFS= read -r -d '' file; do
  if is_elf "$file"; then
    chmod 755 "$file"
  fi
done < <(find "$out" -type f -print0)
chmod 1777 "$out/tmp"

# The agent and its flags. Jib gives every file of the image the modification time 1970-01-01T00:00:01Z and
# Docker's COPY keeps the one set here; the archive records the jar's size and time, and a JVM that finds either
# changed ignores the archive.
install -m 644 "$agent_jar" "$out/opt/devproxy/devproxy-traffic-agent.jar"
touch -d @1 "$out/opt/devproxy/devproxy-traffic-agent.jar"
install -m 644 "$here/jvm.options" "$out/opt/devproxy/jvm.options"
if [ "$class_archive" = false ]; then
  exit 0
fi
{
  echo "# Added by rootfs.sh: the class-data archive of the JDK's and the agent's classes (agent.classlist)."
  echo "-XX:SharedArchiveFile=/opt/devproxy/agent.jsa"
} >>"$out/opt/devproxy/jvm.options"

# The archive records the jar's path as the dumping JVM saw it, so the image's java dumps it with OUT as its root.
# Without /proc there, the loader finds libjli.so through LD_LIBRARY_PATH (harmless to the host's unshare and
# chroot). Serial GC as at run time (and no archived heap objects, which JDK 17 maps only for G1); no perf data file
# left in /tmp.
chroot_cmd=(chroot)
if [ "$(id -u)" != 0 ]; then
  command -v unshare >/dev/null 2>&1 || fail "unshare is missing: install util-linux, or run as root"
  chroot_cmd=(unshare --user --map-root-user chroot)
  unshare --user --map-root-user true 2>/dev/null \
    || fail "cannot make a user namespace to dump the class-data archive under chroot: run as root, or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; Ubuntu 24.04: kernel.apparmor_restrict_unprivileged_userns=0), or build with the Dockerfile"
fi
install -m 644 "$here/agent.classlist" "$out/tmp/agent.classlist"
dump_log="$(mktemp)"
if ! LD_LIBRARY_PATH=/opt/devproxy/java/lib "${chroot_cmd[@]}" "$out" /opt/devproxy/java/bin/java \
    -XX:+UseSerialGC -XX:-UsePerfData -Xshare:dump -XX:SharedClassListFile=/tmp/agent.classlist \
    -XX:SharedArchiveFile=/opt/devproxy/agent.jsa -cp /opt/devproxy/devproxy-traffic-agent.jar >"$dump_log" 2>&1; then
  cat "$dump_log" >&2
  rm -f "$dump_log"
  fail "the class-data archive could not be dumped (the JVM's output is above)"
fi
rm -f "$dump_log" "$out/tmp/agent.classlist"
chmod 644 "$out/opt/devproxy/agent.jsa"
# -Xshare:on refuses to start when the archive cannot be mapped, where the image's default (auto) would ignore it.
version="$(LD_LIBRARY_PATH=/opt/devproxy/java/lib "${chroot_cmd[@]}" "$out" /opt/devproxy/java/bin/java \
  -Xshare:on -XX:-UsePerfData @/opt/devproxy/jvm.options -jar /opt/devproxy/devproxy-traffic-agent.jar --version 2>&1)" \
  || fail "the agent does not start with the class-data archive: $version"
