package org.cpnskeys.broker;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.client.parameter.Listener;
import com.hivemq.extension.sdk.api.client.parameter.ListenerType;
import com.hivemq.extension.sdk.api.client.parameter.ServerInformation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MQTT broker (HiveMQ CE, embedded) with the listeners of a {@link BrokerConfig} and the access control of a
 * {@link BrokerAccessPolicy}.
 *
 * <p>Deny by default: every CONNECT goes through the policy (HiveMQ alone would let everyone in), and each client
 * gets exactly the policy's rules as permissions. The broker refuses to report itself started when its
 * authenticator did not register or a configured listener did not bind.
 *
 * <p>Files: only under {@link BrokerConfig#dataFolder()} (see there). HiveMQ sets the JVM-wide system property
 * {@code hivemq.log.folder} at start; this class points it at {@code <dataFolder>/log} first, so it never names a
 * folder of the HiveMQ jar (in {@code ~/.m2}). Logging configuration belongs to the application: HiveMQ's own
 * logging bootstrap is off; set {@code com.hivemq} and {@code migrations} to WARN in the application's logback.
 *
 * <p>Start-up blocks (it makes folders, probes each fixed port with a bind after looking its address up, writes
 * HiveMQ's {@code config.xml} and builds HiveMQ): Vert.x code starts a broker with {@link #start(Vertx)}, which does
 * that on a worker thread and completes on the caller's context. {@link #start()} is for threads outside Vert.x.
 *
 * <p>Brokers of one JVM start one after another (HiveMQ hands embedded extensions their services through static
 * fields, and the log folder is a system property); stopping is not serialised. A broker starts once: after
 * {@link #stop()} create a new one.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final String LOG_FOLDER_PROPERTY = "hivemq.log.folder";
    private static final long CLOSE_TIMEOUT_SECONDS = 60;

    private static final Object START_LOCK = new Object();
    private static CompletableFuture<?> lastStart = CompletableFuture.completedFuture(null);

    private final BrokerConfig config;
    private final BrokerAccessPolicy policy;
    private final PolicyExtension extension;
    private final Runnable startUpProbe;

    private CompletableFuture<Void> startFuture;
    private CompletableFuture<Void> stopFuture;
    private volatile EmbeddedHiveMQ hivemq;
    private volatile int tcpPort;
    private volatile int tlsPort;

    private EmbeddedBroker(final BrokerConfig config, final BrokerAccessPolicy policy, final Runnable startUpProbe) {
        this.config = Objects.requireNonNull(config, "config");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.extension = new PolicyExtension(policy);
        this.startUpProbe = startUpProbe;
    }

    /** A broker that is not started yet. */
    public static EmbeddedBroker create(final BrokerConfig config, final BrokerAccessPolicy policy) {
        return new EmbeddedBroker(config, policy, () -> { });
    }

    /** For tests: {@code startUpProbe} runs first in the blocking part of start-up, on the thread that does it. */
    static EmbeddedBroker createProbed(final BrokerConfig config, final BrokerAccessPolicy policy,
            final Runnable startUpProbe) {
        return new EmbeddedBroker(config, policy, Objects.requireNonNull(startUpProbe, "startUpProbe"));
    }

    public BrokerConfig config() {
        return config;
    }

    public BrokerAccessPolicy policy() {
        return policy;
    }

    /**
     * Starts the broker from Vert.x code: the blocking part of start-up runs on a worker thread of {@code vertx}
     * (never on the caller's event loop), HiveMQ's own start is awaited without blocking, and the returned future
     * completes on the caller's context (the current one; a new one when called outside Vert.x), so start-up code
     * chained on it goes on there rather than on a HiveMQ thread. Completes when every configured listener is bound
     * and the access policy is in force. Calling it again gives the outcome of the same start. Fails when the broker
     * was stopped.
     */
    public Future<Void> start(final Vertx vertx) {
        final Context caller = vertx.getOrCreateContext();
        return Future.fromCompletionStage(begin(() -> caller.executeBlocking(this::doStart, false)
                .toCompletionStage().thenCompose(started -> started)), caller)
                .recover(e -> Future.failedFuture(unwrap(e)));
    }

    /**
     * Starts the broker from a thread outside Vert.x (a command's or a load generator's main thread): the blocking
     * part of start-up runs on the calling thread, or on the thread that ends an earlier start in this JVM. Refused
     * on an event loop (use {@link #start(Vertx)}). Completes as {@link #start(Vertx)} does, on a HiveMQ thread.
     * Calling it again returns the same future.
     */
    public CompletableFuture<Void> start() {
        if (Context.isOnEventLoopThread()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "EmbeddedBroker.start() blocks: on an event loop call start(vertx)"));
        }
        return begin(this::doStart);
    }

    private synchronized CompletableFuture<Void> begin(final Supplier<CompletionStage<Void>> startUp) {
        if (stopFuture != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("broker was stopped; create a new one"));
        }
        if (startFuture == null) {
            startFuture = serialised(startUp);
        }
        return startFuture;
    }

    /**
     * Stops the broker and closes every client connection; completes when it is down. Waits for a start in
     * progress first. Calling it again returns the same future; stopping a broker never started completes at once.
     */
    public synchronized CompletableFuture<Void> stop() {
        if (stopFuture == null) {
            if (startFuture == null) {
                stopFuture = CompletableFuture.completedFuture(null);
            } else {
                // after a failed start HiveMQ is already stopped and its stop() repeats the start failure
                stopFuture = startFuture.handle((ok, error) -> error)
                        .thenCompose(startError -> startError == null
                                ? shutDown()
                                : shutDown().handle((ok, stopError) -> (Void) null));
            }
        }
        return stopFuture;
    }

    /** Stops the broker (waiting up to a minute) and releases HiveMQ's threads. */
    @Override
    public void close() {
        try {
            stop().get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the broker", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("broker did not stop cleanly", e);
        } finally {
            final EmbeddedHiveMQ instance = hivemq;
            if (instance != null) {
                try {
                    instance.close();
                } catch (ExecutionException e) {
                    LOG.warn("Closing HiveMQ failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Disconnects every connected client whose TLS client certificate {@code stillAccepted} now refuses (for
     * example, revoked since it connected). Non-blocking; completes with the number of clients disconnected.
     */
    public CompletableFuture<Integer> disconnectUnless(final Predicate<X509Certificate> stillAccepted) {
        return extension.disconnectUnless(Objects.requireNonNull(stillAccepted, "stillAccepted"));
    }

    /** The TCP listener's bound port. */
    public int tcpPort() {
        if (config.tcp().isEmpty()) {
            throw new IllegalStateException("no TCP listener is configured");
        }
        return boundPort(tcpPort, "TCP");
    }

    /** The TLS listener's bound port. */
    public int tlsPort() {
        if (config.tls().isEmpty()) {
            throw new IllegalStateException("no TLS listener is configured");
        }
        return boundPort(tlsPort, "TLS");
    }

    private static int boundPort(final int port, final String what) {
        if (port == 0) {
            throw new IllegalStateException("the " + what + " listener is not bound yet (start the broker first)");
        }
        return port;
    }

    private CompletableFuture<Void> doStart() {
        final EmbeddedHiveMQ instance;
        try {
            startUpProbe.run();
            prepareFolders();
            config.tcp().ifPresent(tcp -> checkPortFree(tcp.bindAddress(), tcp.port(), "TCP"));
            config.tls().ifPresent(tls -> checkPortFree(tls.bindAddress(), tls.port(), "TLS"));
            HiveMqConfigXml.write(config);
            System.setProperty(LOG_FOLDER_PROPERTY, config.logFolder().toString());
            instance = EmbeddedHiveMQ.builder()
                    .withConfigurationFolder(config.confFolder())
                    .withDataFolder(config.hivemqDataFolder())
                    .withExtensionsFolder(config.extensionsFolder())
                    .withEmbeddedExtension(EmbeddedExtension.builder()
                            .withId("cpns-access-policy")
                            .withName("CPNS access policy")
                            .withVersion("1")
                            .withAuthor("cpns-keys")
                            .withPriority(Integer.MAX_VALUE)
                            .withStartPriority(Integer.MAX_VALUE)
                            .withExtensionMain(extension)
                            .build())
                    .withoutLoggingBootstrap()
                    .build();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new UncheckedIOException("cannot prepare the broker's folder", e));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        hivemq = instance;
        return instance.start()
                .thenRun(this::verifyStarted)
                .handle((ok, error) -> {
                    if (error == null) {
                        LOG.info("Broker started ({}{}{})",
                                config.tcp().isPresent() ? "tcp " + tcpPort : "",
                                config.tcp().isPresent() && config.tls().isPresent() ? ", " : "",
                                config.tls().isPresent() ? "tls " + tlsPort : "");
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    final Throwable cause = unwrap(error);
                    return instance.stop().handle((stopped, stopError) -> {
                        throw new CompletionException(cause);
                    });
                })
                .thenCompose(future -> future)
                .thenApply(ignored -> (Void) null);
    }

    private void verifyStarted() {
        if (!extension.authenticatorRegistered()) {
            throw new IllegalStateException("the access policy extension did not start; refusing to run open");
        }
        final ServerInformation server = extension.serverInformation()
                .orElseThrow(() -> new IllegalStateException("no server information from HiveMQ"));
        if (config.tcp().isPresent()) {
            tcpPort = boundListenerPort(server, ListenerType.TCP_LISTENER, "TCP");
        }
        if (config.tls().isPresent()) {
            tlsPort = boundListenerPort(server, ListenerType.TLS_TCP_LISTENER, "TLS");
        }
        if (server.getListener().size() != (config.tcp().isPresent() ? 1 : 0) + (config.tls().isPresent() ? 1 : 0)) {
            throw new IllegalStateException("HiveMQ runs listeners that were not configured: " + server.getListener());
        }
    }

    /** HiveMQ writes the bound port back into its listener; a port still 0 means the bind failed. */
    private static int boundListenerPort(final ServerInformation server, final ListenerType type, final String what) {
        final Optional<Listener> listener = server.getListener().stream()
                .filter(l -> l.getListenerType() == type)
                .findFirst();
        final int port = listener.map(Listener::getPort).orElse(0);
        if (port <= 0) {
            throw new IllegalStateException("the " + what + " listener did not bind");
        }
        return port;
    }

    private void prepareFolders() throws IOException {
        Files.createDirectories(config.dataFolder());
        Files.createDirectories(config.confFolder());
        Files.createDirectories(config.hivemqDataFolder());
        Files.createDirectories(config.extensionsFolder());
        Files.createDirectories(config.logFolder());
    }

    /**
     * HiveMQ goes on running when one of several listeners fails to bind, and a fixed port that failed is not
     * distinguishable afterwards: check a fixed port is free before starting (port 0 is checked after start).
     */
    private static void checkPortFree(final String bindAddress, final int port, final String what) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port));
        } catch (IOException e) {
            throw new IllegalStateException("the " + what + " port " + bindAddress + ":" + port
                    + " is not available: " + e.getMessage(), e);
        }
    }

    private CompletableFuture<Void> shutDown() {
        final EmbeddedHiveMQ instance = hivemq;
        if (instance == null) {
            return CompletableFuture.completedFuture(null);
        }
        return instance.stop().thenRun(() -> LOG.info("Broker stopped"));
    }

    /** Runs {@code step} after every earlier broker start in this JVM has finished. */
    private static CompletableFuture<Void> serialised(final Supplier<CompletionStage<Void>> step) {
        synchronized (START_LOCK) {
            final CompletableFuture<Void> result = lastStart.handle((ok, error) -> null)
                    .thenCompose(ignored -> step.get());
            lastStart = result;
            return result;
        }
    }

    private static Throwable unwrap(final Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    @Override
    public String toString() {
        return "EmbeddedBroker[" + config.dataFolder() + "]";
    }
}
