package io.devproxy.daemon.tunnel;

import io.devproxy.tunnel.upstream.Upstream;

/** Where a session's exchanges go on this machine, and what counts them. */
record LocalTarget(Upstream upstream, Runnable onRequest) {}
