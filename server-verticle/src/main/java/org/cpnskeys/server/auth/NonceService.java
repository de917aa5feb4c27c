package org.cpnskeys.server.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * Stateless, cluster-safe digest nonces: every server holding the same HMAC key can check a nonce any of them
 * issued, with no shared state. A nonce is base64url (no padding) of
 * {@code expiry (8 bytes, epoch seconds, big-endian) || 16 random bytes || first 16 bytes of
 * HMAC-SHA256(key, expiry || random || gatewayId)}, so it is bound to the gateway it was issued to, and only
 * that spelling of it is accepted. Single use of each (nonce, nc) pair is recorded in the store with the key it
 * authorised ({@code EuKeyRepository#assign}), by the nonce's bytes. Thread-safe.
 */
public final class NonceService {
    /** The verdict on a nonce. */
    public enum Check {
        /** Issued by us, to this gateway, not expired. */
        VALID,
        /** Issued by us to this gateway but expired: challenge again with {@code stale=true}. */
        STALE,
        /** Not issued by us, for another gateway, or malformed. */
        INVALID
    }

    /** The shortest accepted HMAC key. */
    public static final int MIN_KEY_BYTES = 16;
    static final int EXPIRY_BYTES = 8;
    static final int RANDOM_BYTES = 16;
    static final int MAC_BYTES = 16;
    static final int NONCE_BYTES = EXPIRY_BYTES + RANDOM_BYTES + MAC_BYTES;
    private static final int ENCODED_LENGTH = (NONCE_BYTES * 4 + 2) / 3;
    private static final String HMAC = "HmacSHA256";

    private final SecretKeySpec key;
    private final Duration lifetime;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ThreadLocal<Mac> macs;

    /**
     * @param hmacKey  the cluster-wide nonce secret (at least {@value #MIN_KEY_BYTES} bytes); copied, the caller
     *                 keeps ownership
     * @param lifetime how long an issued nonce is valid
     * @param clock    the time source
     */
    public NonceService(final SecretBytes hmacKey, final Duration lifetime, final Clock clock) {
        Objects.requireNonNull(hmacKey, "hmacKey");
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (hmacKey.length() < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("nonce key must be at least " + MIN_KEY_BYTES + " bytes");
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("nonce lifetime must be positive");
        }
        final byte[] raw = hmacKey.reveal();
        try {
            this.key = new SecretKeySpec(raw, HMAC);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** A fresh nonce for {@code gateway}, valid for the configured lifetime. */
    public String issue(final GatewayId gateway) {
        final long expiry = clock.instant().plus(lifetime).getEpochSecond();
        final byte[] nonce = new byte[NONCE_BYTES];
        ByteBuffer.wrap(nonce).putLong(expiry);
        final byte[] rnd = new byte[RANDOM_BYTES];
        random.nextBytes(rnd);
        System.arraycopy(rnd, 0, nonce, EXPIRY_BYTES, RANDOM_BYTES);
        System.arraycopy(mac(nonce, gateway), 0, nonce, EXPIRY_BYTES + RANDOM_BYTES, MAC_BYTES);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
    }

    /**
     * When a nonce of this format expires, read from its first bytes (not verified: call {@link #check} first);
     * empty when it is not one.
     */
    public static java.util.Optional<java.time.Instant> expiry(final String nonce) {
        return bytes(nonce).flatMap(bytes -> {
            try {
                return java.util.Optional.of(java.time.Instant.ofEpochSecond(ByteBuffer.wrap(bytes).getLong()));
            } catch (java.time.DateTimeException e) {
                return java.util.Optional.empty();
            }
        });
    }

    /**
     * The bytes of a nonce of this format, only if {@code nonce} is their one canonical spelling: base64url's last
     * character carries bits no byte uses, and a decoder that ignores them reads the same bytes from sixteen
     * spellings; each of those is refused but the one {@link #issue} writes, so a nonce is one nonce, whatever
     * records its uses. Empty when it is not one.
     */
    public static java.util.Optional<byte[]> bytes(final String nonce) {
        if (nonce == null || nonce.length() != ENCODED_LENGTH) {
            return java.util.Optional.empty();
        }
        final byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
        if (bytes.length != NONCE_BYTES || !Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(nonce)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(bytes);
    }

    /**
     * Checks that {@code nonce} was issued by a holder of the key to {@code gateway}, is spelled as it was issued,
     * and is not expired.
     */
    public Check check(final String nonce, final GatewayId gateway) {
        if (gateway == null) {
            return Check.INVALID;
        }
        final java.util.Optional<byte[]> decoded = bytes(nonce);
        if (decoded.isEmpty()) {
            return Check.INVALID;
        }
        final byte[] bytes = decoded.get();
        final byte[] expected = mac(bytes, gateway);
        final byte[] given = Arrays.copyOfRange(bytes, EXPIRY_BYTES + RANDOM_BYTES, NONCE_BYTES);
        if (!MessageDigest.isEqual(expected, given)) {
            return Check.INVALID;
        }
        final long expiry = ByteBuffer.wrap(bytes).getLong();
        return clock.instant().getEpochSecond() < expiry ? Check.VALID : Check.STALE;
    }

    /** The configured lifetime of a nonce. */
    public Duration lifetime() {
        return lifetime;
    }

    private byte[] mac(final byte[] nonce, final GatewayId gateway) {
        final Mac mac = macs.get();
        mac.update(nonce, 0, EXPIRY_BYTES + RANDOM_BYTES);
        mac.update(gateway.value().getBytes(StandardCharsets.UTF_8));
        return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    }

    private Mac newMac() {
        try {
            final Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "NonceService[lifetime=" + lifetime + ", key=redacted]";
    }
}
