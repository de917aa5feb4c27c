package org.cpnskeys.protocol.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/** Consent receipts: Ed25519 against RFC 8032's vectors, the canonical encoding, and every field covered. */
class ConsentSignatureTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Instant AT = Instant.parse("2026-12-07T20:30:00.123Z");

    private static SecretBytes seed(final String hex) {
        return SecretBytes.adopt(HEX.parseHex(hex));
    }

    /** RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72). */
    @Test
    void ed25519_matchesRfc8032TestVectors() {
        final SecretBytes one = seed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                HEX.formatHex(ConsentSignature.publicKey(one)));
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
                + "6bd25bf5f0595bbe24655141438e7a100b", HEX.formatHex(ConsentSignature.signRaw(one, new byte[0])));
        final SecretBytes two = seed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
        assertEquals("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                HEX.formatHex(ConsentSignature.publicKey(two)));
        assertEquals("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
                + "8c387b2eaeb4302aeeb00d291612bb0c00", HEX.formatHex(ConsentSignature.signRaw(two, new byte[] {0x72})));
    }

    @Test
    void signedBytes_areTheTagThenLengthPrefixedFieldsThenMilliseconds() {
        final byte[] b = ConsentSignature.signedBytes(GatewayId.of("gw"), RequestId.of("r1"), EntityId.of("e"),
                UserId.of("al"), "page", Optional.empty(), Instant.ofEpochMilli(258));
        assertEquals(HEX.formatHex("CPNS-CONSENT-1".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                + "00000002" + "6777" + "00000002" + "7231" + "00000001" + "65" + "00000002" + "616c"
                + "00000004" + "70616765" + "00000000" + "0000000000000102", HEX.formatHex(b));
    }

    @Test
    void aSignedReceipt_verifiesUnderItsPublicKeyOnly() {
        final SecretBytes key = seed("11".repeat(32));
        final ConsentReceipt r = receipt(key);
        assertTrue(ConsentSignature.verify(r, ConsentSignature.publicKey(key)));
        assertFalse(ConsentSignature.verify(r, ConsentSignature.publicKey(seed("22".repeat(32)))));
    }

    /** 32 bytes that decode to no curve point (y = 2 has no x): refused, not thrown. */
    @Test
    void aPublicKeyOffTheCurve_verifiesNothing() {
        final byte[] offCurve = new byte[32];
        offCurve[0] = 2;
        assertFalse(ConsentSignature.verify(receipt(seed("11".repeat(32))), offCurve));
    }

    /** Each field is covered: a receipt with any one field changed no longer verifies. */
    @Test
    void aReceiptWithAnyFieldChanged_doesNotVerify() {
        final SecretBytes key = seed("11".repeat(32));
        final byte[] pub = ConsentSignature.publicKey(key);
        final ConsentReceipt r = receipt(key);
        final byte[] sig = r.signature();
        final List<ConsentReceipt> changed = List.of(
                new ConsentReceipt(GatewayId.of("gw-2"), r.requestId(), r.entityId(), r.userId(), r.channel(), r.device(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), RequestId.of("r-2"), r.entityId(), r.userId(), r.channel(), r.device(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), EntityId.of("pne-2"), r.userId(), r.channel(), r.device(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), UserId.of("mallory"), r.channel(), r.device(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), "rule", r.device(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(), Optional.of("cd".repeat(32)), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(), Optional.empty(), r.approvedAt(), sig),
                new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(), r.device(), r.approvedAt().plusMillis(1), sig));
        for (final ConsentReceipt c : changed) {
            assertFalse(ConsentSignature.verify(c, pub), c.toString());
        }
        sig[0] ^= 1;
        assertFalse(ConsentSignature.verify(new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(),
                r.channel(), r.device(), r.approvedAt(), sig), pub));
    }

    @Test
    void publicKeyText_roundTripsAndRefusesOtherLengths() {
        final byte[] pub = ConsentSignature.publicKey(seed("11".repeat(32)));
        assertArrayEquals(pub, ConsentSignature.parsePublicKey(ConsentSignature.publicKeyText(pub), "key"));
        final IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ConsentSignature.parsePublicKey("AAAA", "--consent-key f"));
        assertTrue(e.getMessage().startsWith("--consent-key f"), e.getMessage());
    }

    /** A batch: one signature over the Merkle root; each receipt verifies alone with its path, and only with it. */
    @Test
    void signBatch_eachReceiptVerifies_andNotWithAnotherPathIndexSizeOrField() {
        final SecretBytes key = seed("11".repeat(32));
        final byte[] pub = ConsentSignature.publicKey(key);
        final List<ConsentSignature.Approval> approvals = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            approvals.add(new ConsentSignature.Approval(GatewayId.of("gw-1"), RequestId.of("r-" + i),
                    EntityId.of("pne-" + i), UserId.of("alice"), "rule", Optional.empty(), AT));
        }
        final List<ConsentReceipt> batch = new ConsentSignature.Signer(key).signBatch(approvals);
        assertEquals(5, batch.size());
        for (int i = 0; i < 5; i++) {
            final ConsentReceipt r = batch.get(i);
            assertEquals(RequestId.of("r-" + i), r.requestId());
            assertEquals(new org.cpnskeys.protocol.ConsentBatch(i, 5, r.batch().orElseThrow().path()), r.batch().get());
            assertArrayEquals(batch.get(0).signature(), r.signature(), "one signature for the batch");
            assertTrue(ConsentSignature.verify(r, pub), "receipt " + i);
        }
        final ConsentReceipt r1 = batch.get(1);
        final ConsentReceipt r2 = batch.get(2);
        final org.cpnskeys.protocol.ConsentBatch b1 = r1.batch().get();
        for (final ConsentReceipt forged : List.of(
                withBatch(r1, r2.batch().get()),
                withBatch(r1, new org.cpnskeys.protocol.ConsentBatch(2, 5, b1.path())),
                withBatch(r1, new org.cpnskeys.protocol.ConsentBatch(1, 6, b1.path())),
                new ConsentReceipt(r1.gatewayId(), r1.requestId(), r1.entityId(), UserId.of("mallory"), r1.channel(),
                        r1.device(), r1.approvedAt(), r1.signature(), r1.batch()),
                new ConsentReceipt(r1.gatewayId(), r1.requestId(), r1.entityId(), r1.userId(), r1.channel(),
                        r1.device(), r1.approvedAt(), r1.signature()))) {
            assertFalse(ConsentSignature.verify(forged, pub), forged.toString());
            assertFalse(new ConsentSignature.Verifier(16).verify(forged, pub), forged.toString());
        }
        assertFalse(ConsentSignature.verify(r1, ConsentSignature.publicKey(seed("22".repeat(32)))));
    }

    @Test
    void signBatch_ofOne_isAReceiptSignedAlone() {
        final SecretBytes key = seed("11".repeat(32));
        final ConsentReceipt r = new ConsentSignature.Signer(key).signBatch(List.of(new ConsentSignature.Approval(
                GatewayId.of("gw-1"), RequestId.of("r-1"), EntityId.of("pne-1"), UserId.of("alice"), "page",
                Optional.of("ab".repeat(32)), AT))).get(0);
        assertEquals(receipt(key), r, "the same bytes as a receipt signed on its own (Ed25519 is deterministic)");
    }

    /** The verifier remembers good batch signatures only: a forged signature for a known root is still refused. */
    @Test
    void verifier_remembersGoodBatchSignatures_neverABadOne() {
        final SecretBytes key = seed("11".repeat(32));
        final byte[] pub = ConsentSignature.publicKey(key);
        final List<ConsentReceipt> batch = batch(key, 2);
        final ConsentSignature.Verifier v = new ConsentSignature.Verifier(2);
        assertTrue(v.verify(batch.get(0), pub));
        assertTrue(v.verify(batch.get(1), pub));
        final byte[] bad = batch.get(1).signature();
        bad[0] ^= 1;
        final ConsentReceipt r = batch.get(1);
        assertFalse(v.verify(new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(),
                r.device(), r.approvedAt(), bad, r.batch()), pub));
        assertFalse(v.verify(r, ConsentSignature.publicKey(seed("22".repeat(32)))), "another key");
    }

    /**
     * What the server checks without a worker: only a receipt whose batch signature was verified before, under the
     * same key; never one signed alone, one with a changed signature, or a sibling given another's place.
     */
    @Test
    void verifier_remembers_onlyABatchSignatureVerifiedBefore_underTheSameKey() {
        final SecretBytes key = seed("11".repeat(32));
        final byte[] pub = ConsentSignature.publicKey(key);
        final List<ConsentReceipt> batch = batch(key, 3);
        final ConsentSignature.Verifier v = new ConsentSignature.Verifier(16);
        assertFalse(v.remembers(batch.get(1), pub), "nothing verified yet");
        assertTrue(v.verify(batch.get(0), pub));
        assertTrue(v.remembers(batch.get(1), pub), "a sibling of a verified receipt");
        assertFalse(v.remembers(batch.get(1), ConsentSignature.publicKey(seed("22".repeat(32)))), "another key");
        final ConsentReceipt r = batch.get(1);
        final byte[] bad = r.signature();
        bad[5] ^= 1;
        assertFalse(v.remembers(new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(),
                r.device(), r.approvedAt(), bad, r.batch()), pub), "a changed signature");
        assertFalse(v.remembers(withBatch(r, batch.get(2).batch().get()), pub), "a sibling's place");
        final ConsentReceipt alone = receipt(key);
        assertTrue(v.verify(alone, pub));
        assertFalse(v.remembers(alone, pub), "a receipt signed alone is verified each time");
    }

    /** The receipts of one batch of {@code n} rule approvals by user u through gw (requests a, b, ...; entities e1, e2, ...). */
    private static List<ConsentReceipt> batch(final SecretBytes key, final int n) {
        final List<ConsentSignature.Approval> approvals = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            approvals.add(new ConsentSignature.Approval(GatewayId.of("gw"), RequestId.of(String.valueOf((char) ('a' + i))),
                    EntityId.of("e" + (i + 1)), UserId.of("u"), "rule", Optional.empty(), AT));
        }
        return new ConsentSignature.Signer(key).signBatch(approvals);
    }

    private static ConsentReceipt withBatch(final ConsentReceipt r, final org.cpnskeys.protocol.ConsentBatch b) {
        return new ConsentReceipt(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(), r.device(),
                r.approvedAt(), r.signature(), Optional.of(b));
    }

    private static ConsentReceipt receipt(final SecretBytes key) {
        return ConsentSignature.sign(key, GatewayId.of("gw-1"), RequestId.of("r-1"), EntityId.of("pne-1"),
                UserId.of("alice"), "page", Optional.of("ab".repeat(32)), AT);
    }
}
