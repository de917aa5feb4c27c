package org.cpnskeys.deploy;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

import org.cpnskeys.protocol.trace.OtelTracing;
import org.cpnskeys.protocol.trace.Tracing;

import picocli.CommandLine.Option;

/**
 * The tracing options of {@code cpns server|gateway|pne}: off unless an OTLP endpoint is named, by
 * {@code --otlp-endpoint} or the standard {@code OTEL_EXPORTER_OTLP_ENDPOINT} (and {@code OTEL_SERVICE_NAME},
 * {@code OTEL_SDK_DISABLED=true}). Spans go over OTLP/HTTP (protobuf, {@code <endpoint>/v1/traces}) with the JDK's
 * HTTP client, in batches, so a slow collector never holds an event loop.
 */
final class TracingOptions {
    static final String TRACES_PATH = "/v1/traces";

    @Option(names = "--otlp-endpoint", defaultValue = "${env:OTEL_EXPORTER_OTLP_ENDPOINT}",
            description = "Send the spans of each Key Request over OTLP/HTTP to this collector (e.g."
                    + " http://localhost:4318; " + TRACES_PATH + " is appended). Default: tracing off"
                    + " (or OTEL_EXPORTER_OTLP_ENDPOINT).")
    String endpoint;

    @Option(names = "--otlp-service-name", defaultValue = "${env:OTEL_SERVICE_NAME}",
            description = "The service.name of the spans (default cpns-<role>, or OTEL_SERVICE_NAME).")
    String serviceName;

    /** What tracing a process runs with; closing it flushes and stops the exporter. */
    record Opened(Tracing tracing, AutoCloseable shutdown) implements AutoCloseable {
        static final Opened OFF = new Opened(Tracing.OFF, () -> { });

        @Override
        public void close() {
            try {
                shutdown.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(TracingOptions.class).warn("spans not flushed: {}", e.toString());
            }
        }
    }

    /** Tracing as the options and environment say, for the role {@code role} ({@code server}, ...). */
    Opened open(final String role) {
        if (endpoint == null || endpoint.isBlank()
                || "true".equalsIgnoreCase(System.getenv("OTEL_SDK_DISABLED"))) {
            return Opened.OFF;
        }
        final URI base = URI.create(endpoint.strip());
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("--otlp-endpoint must be an http:// or https:// URL, not " + endpoint);
        }
        final String name = serviceName == null || serviceName.isBlank() ? "cpns-" + role.toLowerCase(Locale.ROOT)
                : serviceName.strip();
        final String url = base.toString().replaceAll("/+$", "") + TRACES_PATH;
        final SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), name))))
                .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(url)
                        .setTimeout(Duration.ofSeconds(10)).build()).build())
                .build();
        final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        System.out.println("tracing: spans of " + name + " go to " + url);
        return new Opened(new OtelTracing(sdk), () -> provider.shutdown().join(10, TimeUnit.SECONDS));
    }
}
