/**
 * {@code devproxy demo}: the intercept flow on one machine with the real agent jar, the real daemon jar and
 * the sandbox's sample app standing in for the cluster's version and the developer's local build.
 *
 * <p>{@link io.devproxy.cli.demo.DemoCommand} is the verb; {@link io.devproxy.cli.demo.Demo} runs the steps;
 * {@link io.devproxy.cli.demo.DemoStack} owns everything started and stops it; the rest are its parts.
 */
package io.devproxy.cli.demo;
