package org.cpnskeys.protocol.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * Ed25519 (RFC 8032) signatures of {@link ConsentReceipt}s, on BouncyCastle's lightweight API: the gateway keeps
 * its consent key as the RFC's 32-byte private seed in an owner-only file (as every other secret of the project,
 * {@link SecretFiles}), and BouncyCastle derives the public key from the seed, which the JDK's Ed25519 API does
 * not expose; it is a dependency already. The public key travels as its 32 raw bytes in standard base64.
 *
 * <p>The signed bytes: the ASCII tag {@code CPNS-CONSENT-1}, then gateway ID, request ID, entity ID, user ID,
 * channel and device (empty when absent), each as a 4-byte big-endian length and its UTF-8 bytes, then
 * {@code approvedAt} as 8-byte big-endian milliseconds since the epoch. Length prefixes make the encoding
 * unambiguous whatever the fields hold.
 */
public final class ConsentSignature {
    private static final byte[] TAG = "CPNS-CONSENT-1".getBytes(StandardCharsets.US_ASCII);
    public static final int PUBLIC_KEY_BYTES = 32;
    public static final int SEED_BYTES = 32;

    private ConsentSignature() {
    }

    /** The canonical bytes a receipt's signature covers. */
    public static byte[] signedBytes(final GatewayId gateway, final RequestId request, final EntityId entity,
            final UserId user, final String channel, final Optional<String> device, final Instant approvedAt) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(TAG);
        for (final String field : new String[] {gateway.value(), request.value(), entity.value(), user.value(), channel,
                device.orElse("")}) {
            final byte[] b = field.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        out.writeBytes(ByteBuffer.allocate(8).putLong(approvedAt.toEpochMilli()).array());
        return out.toByteArray();
    }

    /** A receipt for these fields signed with the private seed (approvedAt is cut to milliseconds). */
    public static ConsentReceipt sign(final SecretBytes seed, final GatewayId gateway, final RequestId request,
            final EntityId entity, final UserId user, final String channel, final Optional<String> device,
            final Instant approvedAt) {
        final Instant at = Instant.ofEpochMilli(approvedAt.toEpochMilli());
        return new ConsentReceipt(gateway, request, entity, user, channel, device, at,
                signRaw(seed, signedBytes(gateway, request, entity, user, channel, device, at)));
    }

    /** The Ed25519 signature of {@code message} with the private seed (RFC 8032 section 5.1.6). */
    static byte[] signRaw(final SecretBytes seed, final byte[] message) {
        final byte[] raw = seed.reveal();
        try {
            final Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, new Ed25519PrivateKeyParameters(raw, 0));
            signer.update(message, 0, message.length);
            return signer.generateSignature();
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    /** Whether the receipt's signature verifies under the public key (32 raw bytes); false for a key off the curve. */
    public static boolean verify(final ConsentReceipt r, final byte[] publicKey) {
        if (publicKey.length != PUBLIC_KEY_BYTES) {
            return false;
        }
        final byte[] message = signedBytes(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(),
                r.device(), r.approvedAt());
        try {
            final Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(r.signature());
        } catch (IllegalArgumentException e) {
            return false; // 32 bytes that are no point of the curve: nothing verifies under them
        }
    }

    /** The public key (32 raw bytes) of a private seed. */
    public static byte[] publicKey(final SecretBytes seed) {
        final byte[] raw = seed.reveal();
        try {
            return new Ed25519PrivateKeyParameters(raw, 0).generatePublicKey().getEncoded();
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    /** A public key as text: standard base64 of its 32 bytes. */
    public static String publicKeyText(final byte[] publicKey) {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /** Parses {@link #publicKeyText}; fails with a message naming {@code what}. */
    public static byte[] parsePublicKey(final String text, final String what) {
        final byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64");
        }
        if (raw.length != PUBLIC_KEY_BYTES) {
            throw new IllegalArgumentException(what + " is not an Ed25519 public key (" + PUBLIC_KEY_BYTES
                    + " bytes in base64)");
        }
        return raw;
    }
}
