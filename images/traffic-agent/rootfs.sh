#!/usr/bin/env bash
# Lays out the traffic agent image's files, all but the agent jar and jvm.options, under OUT:
#   opt/devproxy/java    a jlinked Java runtime with the modules named in java-modules
#   lib*/, usr/lib*/     the dynamic loader and every shared library ldd lists for the runtime, at the paths the
#                        loader finds them at, as regular files (Jib leaves symbolic links out of an image)
#   etc/passwd, etc/group, etc/nsswitch.conf   user and group nonroot (65532), as in the distroless images
#   tmp/                 mode 1777
# The Dockerfile's build stage and the Maven profile 'image' (traffic-agent/pom.xml) both run it, so the two
# images hold the same files. Runs as any user; needs bash, coreutils, grep, sed and glibc's ldd.
#
# Usage: rootfs.sh JAVA_HOME OUT [ARCH]
#   JAVA_HOME  a JDK 17: its jlink and jmods make the runtime
#   OUT        made anew (deleted first)
#   ARCH       when given, the machine (uname -m) this must run on: the libraries copied are this machine's
set -euo pipefail

fail() {
  echo "rootfs.sh: $*" >&2
  exit 1
}

[ $# -ge 2 ] || fail "expected JAVA_HOME OUT [ARCH], got $# arguments: see the usage at the top of $0"
here="$(cd "$(dirname "$0")" && pwd)"
java_home="$1"
out="$2"
arch="${3:-}"

[ "$(uname -s)" = Linux ] || fail "the image takes its libraries from this machine, which runs $(uname -s): build on Linux, or with the Dockerfile"
[ -x "$java_home/bin/jlink" ] || fail "no jlink in $java_home/bin: give the home directory of a JDK 17, not a JRE"
if [ -n "$arch" ] && [ "$(uname -m)" != "$arch" ]; then
  fail "this machine is $(uname -m) but the image is for $arch: build it on $arch, or with the Dockerfile"
fi
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
