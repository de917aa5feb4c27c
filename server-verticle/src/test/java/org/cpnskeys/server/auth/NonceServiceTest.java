package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.ManualClock;

@Timeout(30)
class NonceServiceTest {
    private static final GatewayId GW = GatewayId.of("gw-1");
    private static final Duration LIFETIME = Duration.ofMinutes(5);

    private final ManualClock clock = new ManualClock();

    private static SecretBytes key(final int fill) {
        final byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return SecretBytes.adopt(k);
    }

    private final NonceService nonces = new NonceService(key(7), LIFETIME, clock);

    /** Verifies that only the spelling issued is valid: the others that decode to the same bytes are not (4i). */
    @Test
    void check_sameBytesOtherSpelling_invalid() {
        final String nonce = nonces.issue(GW);
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        final int last = alphabet.indexOf(nonce.charAt(nonce.length() - 1));
        int others = 0;
        for (int unused = 1; unused < 16; unused++) {
            final String respelled = nonce.substring(0, nonce.length() - 1) + alphabet.charAt(last | unused);
            org.junit.jupiter.api.Assertions.assertArrayEquals(Base64.getUrlDecoder().decode(nonce),
                    Base64.getUrlDecoder().decode(respelled), "the decoder ignores the unused bits");
            assertEquals(NonceService.Check.INVALID, nonces.check(respelled, GW), respelled);
            assertEquals(java.util.Optional.empty(), NonceService.bytes(respelled));
            others++;
        }
        assertEquals(15, others);
        assertEquals(NonceService.Check.VALID, nonces.check(nonce, GW));
        org.junit.jupiter.api.Assertions.assertArrayEquals(Base64.getUrlDecoder().decode(nonce),
                NonceService.bytes(nonce).orElseThrow());
    }

    @Test
    void check_freshNonceForItsGateway_isValid() {
        final String nonce = nonces.issue(GW);
        assertEquals(NonceService.Check.VALID, nonces.check(nonce, GW));
        assertNotEquals(nonce, nonces.issue(GW));
        // it fits a digest Authorization as is
        new DigestAuthorization("alice", "r", nonce, "u", "auth", "00000001", "c0ffee00",
                "00000000000000000000000000000000");
    }

    @Test
    void check_byAnotherServerWithTheSameKey_isValid() {
        final String nonce = nonces.issue(GW);
        assertEquals(NonceService.Check.VALID, new NonceService(key(7), LIFETIME, clock).check(nonce, GW));
    }

    @Test
    void check_afterLifetime_isStale() {
        final String nonce = nonces.issue(GW);
        clock.advance(LIFETIME.minusSeconds(1));
        assertEquals(NonceService.Check.VALID, nonces.check(nonce, GW));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(NonceService.Check.STALE, nonces.check(nonce, GW));
    }

    @Test
    void check_forOtherGateway_isInvalid() {
        assertEquals(NonceService.Check.INVALID, nonces.check(nonces.issue(GW), GatewayId.of("gw-2")));
    }

    @Test
    void check_forgedOrTampered_isInvalid() {
        final byte[] raw = Base64.getUrlDecoder().decode(nonces.issue(GW));
        raw[3] ^= 1; // push the expiry
        assertEquals(NonceService.Check.INVALID, nonces.check(Base64.getUrlEncoder().withoutPadding().encodeToString(raw), GW));
        raw[3] ^= 1;
        raw[raw.length - 1] ^= 1; // bend the MAC
        assertEquals(NonceService.Check.INVALID, nonces.check(Base64.getUrlEncoder().withoutPadding().encodeToString(raw), GW));
        assertEquals(NonceService.Check.INVALID, new NonceService(key(8), LIFETIME, clock).check(nonces.issue(GW), GW));
    }

    @Test
    void check_malformed_isInvalid() {
        assertEquals(NonceService.Check.INVALID, nonces.check("", GW));
        assertEquals(NonceService.Check.INVALID, nonces.check(null, GW));
        assertEquals(NonceService.Check.INVALID, nonces.check("dcd98b7102dd2f0e8b11d0f600bfb0c093", GW));
        assertEquals(NonceService.Check.INVALID, nonces.check("!".repeat(54), GW));
        assertEquals(NonceService.Check.INVALID, nonces.check(nonces.issue(GW) + "A", GW));
    }

    @Test
    void constructor_shortKey_refused() {
        assertThrows(IllegalArgumentException.class,
                () -> new NonceService(SecretBytes.adopt(new byte[8]), LIFETIME, clock));
    }

    @Test
    void expiry_readFromTheNonce_emptyWhenMalformed() {
        final String nonce = nonces.issue(GW);
        assertEquals(java.util.Optional.of(clock.instant().plus(LIFETIME)), NonceService.expiry(nonce));
        assertEquals(java.util.Optional.empty(), NonceService.expiry("short"));
        assertEquals(java.util.Optional.empty(), NonceService.expiry(null));
        assertEquals(java.util.Optional.empty(), NonceService.expiry("!".repeat(nonce.length())));
    }
}
