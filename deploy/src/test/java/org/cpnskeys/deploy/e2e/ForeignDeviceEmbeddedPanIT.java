package org.cpnskeys.deploy.e2e;

import java.nio.file.Path;

import org.junit.jupiter.api.DisplayName;

/** The foreign PNE against a gateway with its embedded PAN broker (HiveMQ CE embedded, mutual TLS). */
@DisplayName("foreign PNE, embedded PAN broker")
class ForeignDeviceEmbeddedPanIT extends ForeignPneContract {
    @Override
    Fixture startSystem(final Path dir) {
        return new Fixture(dir.resolve("system"));
    }
}
