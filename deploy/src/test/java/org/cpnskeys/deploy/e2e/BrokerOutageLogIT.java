package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.read.ListAppender;

import org.cpnskeys.protocol.mqtt.MqttConnection;
import org.cpnskeys.server.ServerApplication;
import org.cpnskeys.server.ServerConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a person reads in the log, under the launcher's own logback.xml, while a broker is down and comes back: the
 * gateway's cloud connection (the CPNS Server with its embedded broker down for over a minute) and a server's
 * connection to its external cloud broker. One WARN line when the connection is lost, one a minute while it stays
 * out, one when it is back; no ERROR and no stack trace.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BrokerOutageLogIT {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the cloud broker down for over a minute: the gateway logs lost, still unreachable once a minute, back; no ERROR, no stack trace")
    void cloudOutage_oneWarnLinePerStateChange_noErrorNoStackTrace() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            final int port = f.system.server().cloudPort();
            final ListAppender<ILoggingEvent> events = launcherLogging();
            try {
                Fixture.await(f.system.server().stop());
                Fixture.eventually(Duration.ofSeconds(30), "the gateway reports the loss",
                        () -> !cloudLines(events, port, "lost its connection to").isEmpty());
                final long outSince = System.nanoTime();
                Fixture.eventually(Duration.ofSeconds(120), "one reminder while it stays out",
                        () -> !cloudLines(events, port, "still unreachable after").isEmpty());
                final ServerApplication again = Fixture.await(ServerApplication.start(f.vertx,
                        ServerConfig.defaults(dir.resolve("server"), port)));
                final List<String> lines;
                final long outSeconds;
                try {
                    Fixture.eventually(Duration.ofSeconds(60), "the gateway reports it is back",
                            () -> !cloudLines(events, port, "back on").isEmpty());
                    outSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - outSince);
                    lines = cloudLines(events, port, ""); // before the server stops again
                } finally {
                    Fixture.await(again.stop());
                }
                assertTrue(lines.get(0).contains("lost its connection to"), String.join("\n", lines));
                assertTrue(lines.get(0).matches(".*\\(.+\\); reconnecting, reporting every 1 min while it lasts"),
                        "the reason in parentheses: " + lines.get(0));
                assertTrue(lines.get(lines.size() - 1).matches(".*back on .* after \\d+ min( \\d+ s)? out \\(\\d+ failed"
                        + " attempts\\)"), "how long it was out: " + lines.get(lines.size() - 1));
                final List<String> reminders = lines.subList(1, lines.size() - 1);
                assertFalse(reminders.isEmpty());
                reminders.forEach(r -> assertTrue(r.matches(".* still unreachable after \\d+ min( \\d+ s)? \\(\\d+ failed"
                        + " attempts, the last: [^\\n]+\\); retrying"), r));
                assertTrue(reminders.size() <= outSeconds / 60 + 1,
                        "one a minute, not one per attempt: " + reminders.size() + " in " + outSeconds + " s");
            } finally {
                testLogging();
            }
            assertNoErrorNoStackTrace(events);
        }
    }

    @Test
    @DisplayName("a server's external cloud broker stopped and restarted: the server logs lost (with the reason) and back (with how long), no ERROR, no stack trace")
    void serverBrokerOutage_lostAndBack_noErrorNoStackTrace() throws Exception {
        final io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        final Path users = dir.resolve("users.htdigest");
        org.cpnskeys.server.auth.HtdigestFile.addOrReplace(users, org.cpnskeys.protocol.UserId.of("alice"),
                ServerConfig.DEFAULT_REALM, "alice-password".toCharArray());
        // A embeds the cloud broker; B uses it as its external broker, as a second server of a cluster does
        ServerApplication a = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(dir.resolve("a"), 0)
                .withHtdigestFile(users)));
        final int port = a.cloudPort();
        final String secret = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.nio.file.Files.readAllBytes(dir.resolve("a").resolve("cloud-server.secret")));
        final ServerApplication b = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(dir.resolve("b"), 0)
                .withHtdigestFile(users).withExternalBroker(a.cloudEndpoint(ServerApplication.BROKER_USER, secret))));
        final ListAppender<ILoggingEvent> events = launcherLogging();
        final List<String> lines;
        try {
            Fixture.await(a.stop());
            Fixture.eventually(Duration.ofSeconds(30), "server B reports the loss",
                    () -> !serverLines(events, port, "lost its connection to").isEmpty());
            a = Fixture.await(ServerApplication.start(vertx, ServerConfig.defaults(dir.resolve("a"), port)
                    .withHtdigestFile(users)));
            Fixture.eventually(Duration.ofSeconds(60), "server B reports it is back",
                    () -> !serverLines(events, port, "back on").isEmpty());
            lines = serverLines(events, port, "");
        } finally {
            testLogging();
            Fixture.await(b.stop());
            Fixture.await(a.stop());
            Fixture.await(vertx.close());
        }
        assertTrue(lines.get(0).matches("cpns-server-.*: lost its connection to .*\\(.+\\); reconnecting, reporting every"
                + " 1 min while it lasts"), lines.get(0));
        assertTrue(lines.get(lines.size() - 1).matches(
                "cpns-server-.*: back on .* after .+ out \\(\\d+ failed attempts\\)"), lines.get(lines.size() - 1));
        lines.subList(1, lines.size() - 1).forEach(r -> assertTrue(r.contains(" still unreachable after "),
                "between lost and back only the minute's reminders: " + lines));
        assertNoErrorNoStackTrace(events);
    }

    /** The WARN lines of a server's (not the one being stopped) connection to the broker on {@code port}. */
    private static List<String> serverLines(final ListAppender<ILoggingEvent> events, final int port,
            final String fragment) {
        return warnings(events).stream().filter(m -> m.startsWith("cpns-server-") && m.contains(":" + port + " ")
                && m.contains(fragment)).toList();
    }

    private static List<String> warnings(final ListAppender<ILoggingEvent> events) {
        return List.copyOf(events.list).stream()
                .filter(e -> e.getLoggerName().equals(MqttConnection.class.getName()) && e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static void assertNoErrorNoStackTrace(final ListAppender<ILoggingEvent> events) {
        for (final ILoggingEvent e : List.copyOf(events.list)) {
            assertTrue(e.getLevel().toInt() < Level.ERROR.toInt(), "no ERROR: " + e.getLoggerName() + " "
                    + e.getFormattedMessage());
            assertNull(e.getThrowableProxy(), "no stack trace at " + e.getLevel() + ": " + e.getLoggerName() + " "
                    + e.getFormattedMessage());
            assertFalse(e.getFormattedMessage().contains("\n"), "one line: " + e.getFormattedMessage());
        }
    }

    /** The WARN lines of the gateway's connection to the cloud broker on {@code port} with {@code fragment}, in order. */
    private static List<String> cloudLines(final ListAppender<ILoggingEvent> events, final int port,
            final String fragment) {
        return warnings(events).stream()
                .filter(m -> !m.startsWith("cpns-server-") && m.contains(":" + port + " ") && m.contains(fragment)).toList();
    }

    /**
     * Configures logging from the launcher's logback.xml (levels included) and captures every event it lets
     * through at the root.
     */
    private static ListAppender<ILoggingEvent> launcherLogging() throws JoranException {
        final URL launcher = BrokerOutageLogIT.class.getClassLoader().getResource("logback.xml");
        assertNotNull(launcher, "the launcher's logback.xml on the class path");
        configure(launcher);
        final ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(events);
        return events;
    }

    /** Back to the tests' logback-test.xml for the other tests of this JVM. */
    private static void testLogging() throws JoranException {
        configure(BrokerOutageLogIT.class.getClassLoader().getResource("logback-test.xml"));
    }

    private static void configure(final URL config) throws JoranException {
        final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        final JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(config);
    }
}
