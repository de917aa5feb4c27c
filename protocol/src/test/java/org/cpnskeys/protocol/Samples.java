package org.cpnskeys.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519PublicKey;

/** Valid messages of every type and shape, shared by the codec tests. */
final class Samples {
    static final RequestId REQ = RequestId.of("req-0001");
    static final EntityId PNE = EntityId.of("pne-1");
    static final UserId ALICE = UserId.of("alice@example.com");
    static final KeyId KEY = KeyId.of("key-0001");

    private Samples() {
    }

    static SecretBytes euKey() {
        final byte[] k = new byte[32];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (i * 7 + 3);
        }
        return SecretBytes.adopt(k);
    }

    /** RFC 7748 section 6.1's public keys: Alice's as the requester's, Bob's as the server's. */
    static final X25519PublicKey REQUESTER_EPK = X25519PublicKey.parse("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo",
            "epk");
    static final X25519PublicKey SERVER_EPK = X25519PublicKey.parse("3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08",
            "epk");

    static DigestAuthorization authorization() {
        return new DigestAuthorization("alice@example.com", "cpns.example", "bm9uY2UtMQ",
                "cpns:key-request:pne-1:req-0001:" + REQUESTER_EPK.text(), "auth", "00000001", "0a4f113b",
                "6629fae49393a05397450978507c4ef1");
    }

    static WrappedKey wrapped() {
        final byte[] iv = new byte[12];
        final byte[] ct = new byte[48];
        Arrays.fill(iv, (byte) 1);
        Arrays.fill(ct, (byte) 2);
        return new WrappedKey("A256GCM-X25519-HKDF-SHA256", "bm9uY2UtMQ", "0a4f113b", SERVER_EPK, iv, ct);
    }

    /** A consent receipt for {@link #REQ} of {@link #PNE}, signed with a fixed seed. */
    static ConsentReceipt consent() {
        final byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) 7);
        return org.cpnskeys.protocol.crypto.ConsentSignature.sign(SecretBytes.adopt(seed), GatewayId.of("gw-1"), REQ,
                PNE, ALICE, "page", Optional.of("ab".repeat(32)), java.time.Instant.parse("2026-12-07T20:30:00.123Z"));
    }

    static List<CpnsMessage> all() {
        return List.of(
                KeyRequest.proxy(REQ, PNE, Optional.empty()),
                KeyRequest.proxy(REQ, PNE, Optional.of("Living-room bulb \u00e9\u4e2d \"quoted\"")).withUser(ALICE),
                KeyRequest.withUi(REQ, PNE, ALICE, Optional.empty()),
                new KeyRequest(REQ, PNE, false, Optional.of(ALICE), Optional.empty(), Optional.of(REQUESTER_EPK),
                        Optional.empty()),
                KeyRequest.proxy(REQ, PNE, Optional.of("bulb")).withAuthorization(authorization(), REQUESTER_EPK),
                KeyRelease.of(REQ, PNE, true, ALICE),
                new KeyRelease(REQ, PNE, false, Optional.empty(), Optional.empty()),
                KeyRelease.of(REQ, PNE, false, ALICE).withAuthorization(new DigestAuthorization("alice@example.com",
                        "cpns.example", "bm9uY2UtMQ", "cpns:key-release:pne-1:req-0001", "auth", "00000002",
                        "0a4f113b", "6629fae49393a05397450978507c4ef1")),
                StatusReport.of(Optional.of(REQ), Optional.of(PNE), Status.OK, "released"),
                StatusReport.of(Optional.of(REQ), Optional.of(PNE), Status.NOT_FOUND, "no key to release"),
                KeyRequest.proxy(REQ, PNE, Optional.empty()).withAuthorization(authorization(), REQUESTER_EPK)
                        .withConsent(Optional.of(consent())),
                new Challenge(REQ, PNE, "cpns.example", "bm9uY2UtMQ", false),
                new Challenge(REQ, PNE, "cpns.example", "bm9uY2UtMg", true),
                KeyDelivery.wrapped(REQ, PNE, ALICE, KEY, wrapped()),
                KeyDelivery.clear(REQ, PNE, ALICE, KEY, euKey()),
                KeyDelivery.refused(REQ, PNE, Status.UNAUTHORIZED, "authentication failed"),
                KeyDelivery.refused(REQ, PNE, Status.FORBIDDEN, "denied by the user"),
                KeyDelivery.refused(REQ, PNE, Status.CONFLICT, "entity is assigned to another user"),
                KeyDelivery.refused(REQ, PNE, Status.TOO_MANY_REQUESTS, "throttled", 30),
                KeyDelivery.refused(REQ, PNE, Status.UNAVAILABLE, "server unreachable", 10),
                new KeyDelivery(REQ, PNE, Status.INTERNAL_ERROR, Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty(), Optional.empty(), OptionalInt.empty()),
                StatusReport.pending(REQ, PNE, "waiting for the user", 15),
                StatusReport.of(Optional.empty(), Optional.empty(), Status.BAD_REQUEST, "malformed JSON"),
                StatusReport.of(Optional.of(REQ), Optional.empty(), Status.BAD_REQUEST, ""));
    }
}
