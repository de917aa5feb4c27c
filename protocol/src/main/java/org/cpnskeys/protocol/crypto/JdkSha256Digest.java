package org.cpnskeys.protocol.crypto;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import org.bouncycastle.crypto.ExtendedDigest;

/**
 * BouncyCastle's digest interface over the JDK's SHA-256, for BouncyCastle's HKDF (and the HMAC inside it).
 *
 * <p>Why: the JDK compiles SHA-256 to the processor's SHA extensions (or vector code) where it has them, and
 * BouncyCastle's {@code SHA256Digest} is plain Java. A profile of {@code cpns bench} put BouncyCastle's SHA-256
 * at 5 % of all CPU samples, for two or three HKDF derivations per assignment. The HKDF and HMAC logic stay
 * BouncyCastle's; only the hash engine underneath changes.
 */
final class JdkSha256Digest implements ExtendedDigest {
    private static final int BLOCK_BYTES = 64;
    private final MessageDigest sha256;

    JdkSha256Digest() {
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public String getAlgorithmName() {
        return "SHA-256";
    }

    @Override
    public int getDigestSize() {
        return sha256.getDigestLength();
    }

    @Override
    public int getByteLength() {
        return BLOCK_BYTES;
    }

    @Override
    public void update(final byte in) {
        sha256.update(in);
    }

    @Override
    public void update(final byte[] in, final int inOff, final int len) {
        sha256.update(in, inOff, len);
    }

    @Override
    public int doFinal(final byte[] out, final int outOff) {
        try {
            return sha256.digest(out, outOff, out.length - outOff);
        } catch (DigestException e) {
            throw new IllegalArgumentException("output buffer too short for SHA-256", e);
        }
    }

    @Override
    public void reset() {
        sha256.reset();
    }
}
