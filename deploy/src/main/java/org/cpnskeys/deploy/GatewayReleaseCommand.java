package org.cpnskeys.deploy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.json.JsonObject;

import org.cpnskeys.gateway.ReleaseRequests;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Status;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cpns gateway release}: the owner's release of a device (PROTOCOL.md 2.3). Asks the running gateway, through
 * its data folder ({@link ReleaseRequests}, as {@code revoke} reaches it through the device register), to release the
 * device's EUKey at the CPNS Server for the gateway's user, and prints the server's answer.
 */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = {"Releases a PNE's EUKey at the CPNS Server for the gateway's user (\"remove this device\"):",
                "afterwards any user may claim the entity, e.g. after a reset or a change of owner. Asks the",
                "running gateway, which authenticates with the user's credentials; exits 0 when the server",
                "released the key, 1 otherwise (not the user's device, no key, gateway not running...)."})
final class GatewayReleaseCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Option(names = "--entity", required = true, description = "The PNE's Entity ID.")
    String entity;

    @Option(names = "--timeout", defaultValue = "60s",
            description = "How long to wait for the running gateway's answer (default ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() throws Exception {
        final EntityId e;
        try {
            e = EntityId.of(entity);
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException("--entity " + entity + " is not an Entity ID");
        }
        final Duration wait = Duration.parse("PT" + timeout.toUpperCase(java.util.Locale.ROOT));
        final ReleaseRequests requests = new ReleaseRequests(gateway.data);
        requests.submit(e);
        final long deadline = System.nanoTime() + wait.toNanos();
        Optional<JsonObject> answer = requests.answer(e);
        while (answer.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(ReleaseRequests.POLL_MS); // polling another process's file: no event to wait for
            answer = requests.answer(e);
        }
        if (answer.isEmpty()) {
            final boolean untaken = requests.withdraw(e);
            System.err.println("no answer from the gateway in " + gateway.data + " within " + timeout
                    + (untaken ? ": is it running? (request withdrawn)" : ": it took the request; see its log"));
            return 1;
        }
        final int status = answer.get().getInteger("status", Status.INTERNAL_ERROR);
        final String reason = answer.get().getString("reason", "");
        if (status == Status.OK) {
            System.out.println("released " + e + ": any user may claim it now");
            return 0;
        }
        System.err.println("not released: " + e + ": " + reason + " (status " + status + ")");
        return 1;
    }
}
