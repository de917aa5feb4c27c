package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.trace.HopSpan;
import org.cpnskeys.protocol.trace.Tracing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import picocli.CommandLine;

/**
 * {@code --otlp-endpoint}: the spans really leave the process as OTLP/HTTP protobuf to {@code <endpoint>/v1/traces}
 * (a loopback HTTP server stands in for the collector), with the JDK sender alone on the class path; without the
 * option tracing is off.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TracingExportTest {
    /** What the collector received: path, content type, body. */
    record Post(String path, String contentType, byte[] body) {
    }

    private static TracingOptions parse(final String... args) {
        final TracingOptions options = new TracingOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void otlpEndpoint_spansArePostedAsProtobufToV1Traces() throws Exception {
        final BlockingQueue<Post> posts = new LinkedBlockingQueue<>();
        final HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            posts.add(new Post(exchange.getRequestURI().getPath(), exchange.getRequestHeaders().getFirst(
                    "Content-Type"), exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            final String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort() + "/";
            try (TracingOptions.Opened opened = parse("--otlp-endpoint", endpoint, "--otlp-service-name", "gw-test")
                    .open("gateway")) {
                assertTrue(opened.tracing().enabled());
                opened.tracing().start("gateway.key-request", Optional.empty(), HopSpan.Kind.SERVER)
                        .request(EntityId.of("exported-pne"), RequestId.of("r-1")).outcome("delivered", 200).end();
            } // closing flushes the batch
            final Post post = posts.poll(30, TimeUnit.SECONDS);
            assertTrue(post != null, "nothing reached the collector");
            assertEquals("/v1/traces", post.path());
            assertEquals("application/x-protobuf", post.contentType());
            final String body = new String(post.body(), StandardCharsets.ISO_8859_1);
            assertTrue(body.contains("gateway.key-request") && body.contains("exported-pne")
                    && body.contains("gw-test"), "the span, its entity and the service name are in the export");
        } finally {
            collector.stop(0);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"server", "gateway", "pne"})
    void help_everyRole_documentsTheOtlpOptions(final String role) {
        final CommandLine cli = Cpns.commandLine();
        final java.io.StringWriter out = new java.io.StringWriter();
        cli.setOut(new java.io.PrintWriter(out));
        cli.execute(role, "--help");
        assertTrue(out.toString().contains("--otlp-endpoint") && out.toString().contains("--otlp-service-name"),
                out.toString());
    }

    @Test
    void noEndpoint_tracingIsOff() {
        try (TracingOptions.Opened opened = new TracingOptions().open("server")) {
            assertSame(Tracing.OFF, opened.tracing());
        }
    }

    @Test
    void endpointNotHttp_isRefusedNamingTheOption() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--otlp-endpoint", "localhost:4318").open("pne"));
        assertTrue(e.getMessage().contains("--otlp-endpoint"), e.getMessage());
    }
}
