package org.cpnskeys.deploy.e2e;

import java.nio.file.Path;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;

/**
 * A whole local system with a foreign cloud client playing one PN GW acting as proxy, and user alice's HA1: what
 * the tests that speak to the CPNS Server directly start from. Closing it closes the client, then the system.
 */
final class CloudGatewaySystem implements AutoCloseable {
    final Fixture f;
    final CloudGatewayClient gw;
    final Ha1 aliceHa1;

    private CloudGatewaySystem(final Fixture f, final CloudGatewayClient gw) {
        this.f = f;
        this.gw = gw;
        this.aliceHa1 = DigestClient.ha1("alice", "cpns", f.system.password());
    }

    /** The default system in {@code dir}, with gateway {@code gatewayId} on its cloud broker. */
    static CloudGatewaySystem start(final Path dir, final String gatewayId) throws Exception {
        return start(new Fixture(dir), gatewayId);
    }

    /** Gateway {@code gatewayId} on the cloud broker of {@code f}, which it then owns (closed with it). */
    static CloudGatewaySystem start(final Fixture f, final String gatewayId) throws Exception {
        try {
            return new CloudGatewaySystem(f, new CloudGatewayClient(f.system, GatewayId.of(gatewayId)));
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            gw.close();
        } finally {
            f.close();
        }
    }
}
