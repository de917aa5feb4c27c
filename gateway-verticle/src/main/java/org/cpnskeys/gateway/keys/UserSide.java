package org.cpnskeys.gateway.keys;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.cpnskeys.gateway.DeviceDirectory;
import org.cpnskeys.gateway.KeyRequestOutcomes;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.credentials.CredentialPrompt;
import org.cpnskeys.gateway.credentials.UserCredentials;

/**
 * Who {@link GatewayKeyService} asks before it acts for a PNE, and whom it tells how a request ended.
 *
 * @param approval the user's decision on each Key Request (F3, R7)
 * @param credentials the user's configured User ID and HA1, if any (read at every proxy request)
 * @param prompt asks the user for credentials when none are configured and the gateway is set to prompt (R6)
 * @param devices how each PNE authenticated on the PAN and whether the device register still admits it
 * @param outcomes told how each request ended (the approval page's history)
 */
public record UserSide(ApprovalService approval, Supplier<Optional<UserCredentials>> credentials,
        CredentialPrompt prompt, DeviceDirectory devices, KeyRequestOutcomes outcomes) {
    public UserSide {
        Objects.requireNonNull(approval, "approval");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(devices, "devices");
        Objects.requireNonNull(outcomes, "outcomes");
    }
}
