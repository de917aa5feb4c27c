package org.cpnskeys.protocol;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A consent receipt: the PN GW's signed statement that a user approved one Key Request ([L] 3), carried as the
 * optional field {@code consent} of the gateway's {@code key-request} on the cloud leg and stored by the server
 * with the key. Signed with the gateway's Ed25519 consent key over {@link
 * org.cpnskeys.protocol.crypto.ConsentSignature#signedBytes its canonical encoding}.
 *
 * @param gatewayId the gateway that asked and signs
 * @param requestId the Key Request approved
 * @param entityId the PNE it came from
 * @param userId the user the key is assigned to (the user whose credentials the gateway acts with, or the PNE's
 *        user)
 * @param channel how the user approved: {@code page} (the approval page), {@code console} (the gateway's console)
 *        or {@code rule} (an approval rule the user configured)
 * @param device the SHA-256 of the DER of the PNE's PAN client certificate, 64 lower-case hex digits; empty when
 *        the gateway saw none (an external broker that does not tell it)
 * @param approvedAt when the approval was given (millisecond precision)
 * @param signature the 64-byte Ed25519 signature: of this receipt alone, or of its batch's Merkle root
 * @param batch where the receipt sits in the batch the signature covers; empty for a receipt signed alone
 */
public record ConsentReceipt(GatewayId gatewayId, RequestId requestId, EntityId entityId, UserId userId,
        String channel, Optional<String> device, Instant approvedAt, byte[] signature, Optional<ConsentBatch> batch) {
    /** The approval channels a receipt may name. */
    public static final Set<String> CHANNELS = Set.of("page", "console", "rule");
    public static final int SIGNATURE_BYTES = 64;

    public ConsentReceipt {
        Objects.requireNonNull(gatewayId, "gatewayId");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(entityId, "entityId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(approvedAt, "approvedAt");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(batch, "batch");
        if (!CHANNELS.contains(channel)) {
            throw new IllegalArgumentException("consent.channel must be one of page, console, rule");
        }
        if (device.isPresent() && (device.get().length() != 64 || !device.get().chars()
                .allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("consent.device must be 64 lower-case hex digits (SHA-256)");
        }
        if (approvedAt.getNano() % 1_000_000 != 0) {
            throw new IllegalArgumentException("consent.approvedAt must have millisecond precision");
        }
        if (signature.length != SIGNATURE_BYTES) {
            throw new IllegalArgumentException("consent.sig must be " + SIGNATURE_BYTES + " bytes (Ed25519)");
        }
        signature = signature.clone();
    }

    /** A receipt signed alone. */
    public ConsentReceipt(final GatewayId gatewayId, final RequestId requestId, final EntityId entityId,
            final UserId userId, final String channel, final Optional<String> device, final Instant approvedAt,
            final byte[] signature) {
        this(gatewayId, requestId, entityId, userId, channel, device, approvedAt, signature, Optional.empty());
    }

    /** The SHA-256 fingerprint of a certificate's DER, as {@code device} holds it. */
    public static String fingerprint(final byte[] der) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(der));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ConsentReceipt r && gatewayId.equals(r.gatewayId) && requestId.equals(r.requestId)
                && entityId.equals(r.entityId) && userId.equals(r.userId) && channel.equals(r.channel)
                && device.equals(r.device) && approvedAt.equals(r.approvedAt) && Arrays.equals(signature, r.signature)
                && batch.equals(r.batch);
    }

    @Override
    public int hashCode() {
        return Objects.hash(gatewayId, requestId, entityId, approvedAt);
    }
}
