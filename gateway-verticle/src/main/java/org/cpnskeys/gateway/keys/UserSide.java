package org.cpnskeys.gateway.keys;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.cpnskeys.gateway.DeviceDirectory;
import org.cpnskeys.gateway.KeyRequestOutcomes;
import org.cpnskeys.gateway.approval.ApprovalService;
import org.cpnskeys.gateway.approval.ConsentSigner;
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
 * @param consent signs a consent receipt of each approval ([L] 3); empty: requests go without
 */
public record UserSide(ApprovalService approval, Supplier<Optional<UserCredentials>> credentials,
        CredentialPrompt prompt, DeviceDirectory devices, KeyRequestOutcomes outcomes,
        Optional<ConsentSigner> consent) {
    public UserSide {
        Objects.requireNonNull(approval, "approval");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(devices, "devices");
        Objects.requireNonNull(outcomes, "outcomes");
        Objects.requireNonNull(consent, "consent");
    }

    /** Without consent receipts (the parameter list before [L] 3). */
    public UserSide(final ApprovalService approval, final Supplier<Optional<UserCredentials>> credentials,
            final CredentialPrompt prompt, final DeviceDirectory devices, final KeyRequestOutcomes outcomes) {
        this(approval, credentials, prompt, devices, outcomes, Optional.empty());
    }
}
