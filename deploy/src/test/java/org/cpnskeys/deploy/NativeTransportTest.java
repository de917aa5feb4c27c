package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Every role's Vert.x runs on the native (epoll) transport where the shipped native library fits the machine. */
class NativeTransportTest {
    /** Verifies that on Linux x86-64 the launcher's Vert.x loads epoll (the dependency is shipped and loads). */
    @Test
    void newVertx_linuxX86_64_usesEpoll() {
        final String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        Assumptions.assumeTrue(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")),
                "the shipped native transport is for Linux x86-64; elsewhere Vert.x uses NIO");
        final Vertx vertx = Cli.newVertx();
        try {
            assertTrue(vertx.isNativeTransportEnabled(), "epoll did not load: " + vertx.unavailableNativeTransportCause());
        } finally {
            vertx.close().await();
        }
    }
}
