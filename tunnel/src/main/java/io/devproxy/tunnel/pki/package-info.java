/**
 * Certificates and TLS material for the tunnel's mutual TLS.
 *
 * <p>Each developer has a CA and a client certificate ({@link io.devproxy.tunnel.pki.UserPki}); the CA
 * issues the server certificate of every traffic agent the developer intercepts through, and the agent
 * trusts a bundle of developers' CAs for client certificates ({@link io.devproxy.tunnel.pki.AgentTls}),
 * which it reloads without a restart.
 *
 * <p>Bouncy Castle is used only inside this package; the rest of the project sees JDK types
 * ({@link java.security.cert.X509Certificate}, {@link java.security.PrivateKey}) and Netty's
 * {@link io.netty.handler.ssl.SslContext}.
 */
package io.devproxy.tunnel.pki;
