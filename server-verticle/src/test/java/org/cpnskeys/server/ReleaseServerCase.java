package org.cpnskeys.server;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A {@link ReleaseTestServer} in a temporary folder for each test of a subclass. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class ReleaseServerCase {
    @TempDir
    Path dir;
    ReleaseTestServer server;

    @BeforeEach
    void start(final Vertx vertx) throws Exception {
        server = new ReleaseTestServer(vertx, dir);
    }

    @AfterEach
    void stop() {
        server.close();
    }
}
