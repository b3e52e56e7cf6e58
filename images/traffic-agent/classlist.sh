#!/usr/bin/env bash
# Records images/traffic-agent/agent.classlist, the classes the agent image's class-data-sharing archive holds
# (rootfs.sh dumps the archive from it): runs the agent's training (io.devproxy.agent.CdsTraining: start to ready,
# a request passed through, one intercepted through the tunnel, a metrics scrape) with -XX:DumpLoadedClassList
# and the image's JVM flags, and keeps the list sorted, without the JDK's generated proxy classes, which a dump
# cannot find by name.
#
# Committed rather than recorded in each image build: which classes a run loads depends a little on thread timing,
# and the image must come out the same twice. Run it again when the agent's code or dependencies change much; a
# class the list names that no longer exists is skipped by the dump with a warning, and a class it does not name
# is loaded from the jar as before, so a stale list costs start-up time, nothing else.
#
# Usage: images/traffic-agent/classlist.sh [AGENT_JAR]   (default traffic-agent/target/devproxy-traffic-agent.jar)
#   JAVA: the java to run (default: java on PATH); a JDK 17, as the image's runtime is.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
jar="${1:-$here/../../traffic-agent/target/devproxy-traffic-agent.jar}"
java="${JAVA:-java}"
[ -f "$jar" ] || { echo "classlist.sh: $jar is missing: build it (./mvnw -pl traffic-agent -am package -DskipTests)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$java" -XX:DumpLoadedClassList="$work/loaded" @"$here/jvm.options" -cp "$jar" io.devproxy.agent.CdsTraining
{
  echo "# The agent image's class-data archive holds these classes: recorded by classlist.sh, dumped by rootfs.sh."
  grep -v -e '^#' -e '[$]Proxy[0-9]' "$work/loaded" | LC_ALL=C sort -u
} >"$here/agent.classlist"
echo "classlist.sh: $(grep -vc '^#' "$here/agent.classlist") entries in $here/agent.classlist"
