package org.cpnskeys.gateway.credentials;

import io.vertx.core.Future;

import java.util.Optional;

/**
 * Asks the CPNS User for their User ID and password (seed R6: when a PNE asks the gateway to act as its proxy and
 * no credentials are configured, the gateway MAY prompt the user). Implementations turn the password into HA1 at
 * once and keep neither the password nor the answer.
 */
@FunctionalInterface
public interface CredentialPrompt {
    /**
     * @param realm the digest realm the credentials are for (HA1 is computed over it)
     * @param why one line telling the user why they are asked (e.g. which PNE is waiting)
     * @return the credentials, or an empty Optional when the user declines or the input ends
     */
    Future<Optional<UserCredentials>> ask(String realm, String why);
}
