package org.cpnskeys.server;

import static org.cpnskeys.server.TestFutures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.server.auth.AttemptGate;
import org.cpnskeys.server.auth.AttemptPolicy;
import org.cpnskeys.server.auth.DigestRealm;
import org.cpnskeys.server.auth.HtdigestFile;
import org.cpnskeys.server.auth.NonceService;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.SqliteEuKeyRepository;

/**
 * An attacker on the cloud leg (or a gateway's compromised PAN side) tries to get a key without the user's
 * signed consent: a forged receipt, one replayed from another request, one of another gateway, or none from a
 * gateway whose consent key is registered. Each is refused 403, stores no key and is audited; a good receipt is
 * stored with the key. {@link KeyAssignmentService} with a real SQLite store, digest realm, nonces and Ed25519.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsentReceiptAttackTest {
    private static final String REALM = "cpns-0123456789abcdef";
    private static final GatewayId GW = GatewayId.of("home-gw");
    private static final GatewayId OTHER_GW = GatewayId.of("other-gw");
    private static final UserId ALICE = UserId.of("alice");
    private static final char[] PASSWORD = "alice-password".toCharArray();
    private static final String DEVICE = "ab".repeat(32);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final SecretBytes gatewayKey = SecretBytes.adopt(random(32));
    private DigestRealm users;
    private SqliteEuKeyRepository store;
    private KeyAgreementCache agreements;
    private AuditLog audit;
    private ConsentKeys keys;
    private NonceService nonces;
    private KeyAssignmentService service;
    private int requests;

    @BeforeEach
    void start(final Vertx vertx) throws Exception {
        final Path htdigest = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(htdigest, ALICE, REALM, PASSWORD);
        users = await(DigestRealm.load(vertx, htdigest, REALM));
        store = await(SqliteEuKeyRepository.open(vertx, dir.resolve("eukeys.db")));
        nonces = new NonceService(SecretBytes.adopt(random(32)), Duration.ofMinutes(5), clock);
        agreements = new KeyAgreementCache(vertx, KeyAgreementCache.DEFAULT_WINDOW, 100, clock);
        audit = AuditLog.open(dir.resolve("audit.jsonl"));
        keys = ConsentKeys.open(dir.resolve("gateways-consent-keys"));
        keys.register(GW, ConsentSignature.publicKey(gatewayKey));
        service = new KeyAssignmentService(REALM, nonces, users, store, new StoredKeySealer(
                SealSet.masterKeyFile(SecretBytes.adopt(random(32))), StoredKeySealer.Listener.NONE),
                Duration.ofMinutes(5), clock, new AttemptGate(store, AttemptPolicy.DEFAULT, clock), audit, agreements);
        service.setConsentKeys(keys, vertx); // verified on a worker, as the server does
    }

    @AfterEach
    void stop() {
        agreements.close();
        audit.close();
        await(users.close());
        await(store.close());
    }

    @Test
    void aReceiptSignedByTheGateway_isStoredWithTheKey() {
        final KeyRequest request = request(EntityId.of("pne-1"));
        final ConsentReceipt receipt = sign(gatewayKey, GW, request);
        final KeyDelivery d = answered(GW, request.withConsent(Optional.of(receipt)));
        assertEquals(Status.OK, d.status(), d.reason().orElse(""));
        assertEquals(Map.of(request.requestId(), MessageCodec.consentJson(receipt).encode()),
                await(store.consents(request.entityId())));
    }

    @Test
    void aReceiptSignedWithAnotherKey_isRefusedAndAudited() {
        final KeyRequest request = request(EntityId.of("pne-1"));
        final ConsentReceipt forged = sign(SecretBytes.adopt(random(32)), GW, request);
        assertRefused(answered(GW, request.withConsent(Optional.of(forged))), "its signature does not verify");
    }

    @Test
    void aReceiptReplayedFromAnotherRequest_isRefused() {
        final KeyRequest first = request(EntityId.of("pne-1"));
        final ConsentReceipt receipt = sign(gatewayKey, GW, first);
        assertEquals(Status.OK, answered(GW, first.withConsent(Optional.of(receipt))).status());
        final KeyRequest second = request(EntityId.of("pne-2"));
        assertRefused(answered(GW, second.withConsent(Optional.of(receipt))), "it is for another request");
    }

    @Test
    void aReceiptOfAnotherGateway_isRefused() throws Exception {
        keys.register(OTHER_GW, ConsentSignature.publicKey(gatewayKey));
        final KeyRequest request = request(EntityId.of("pne-1"));
        assertRefused(answered(GW, request.withConsent(Optional.of(sign(gatewayKey, OTHER_GW, request)))),
                "it is for another gateway");
    }

    /**
     * A batch's receipts: each is served with its own path, the second after the first's signature was found good;
     * the third, given its sibling's place in the batch, is refused.
     */
    @Test
    void receiptsOfASignedBatch_eachServed_aReceiptGivenASiblingsPlace_isRefused() {
        final java.util.List<KeyRequest> requests = java.util.List.of(request(EntityId.of("pne-1")),
                request(EntityId.of("pne-2")), request(EntityId.of("pne-3")));
        final java.util.List<ConsentReceipt> batch = new ConsentSignature.Signer(gatewayKey).signBatch(
                requests.stream().map(ConsentReceiptAttackTest::approval).toList());
        assertEquals(Status.OK, answered(GW, requests.get(0).withConsent(Optional.of(batch.get(0)))).status());
        assertEquals(Status.OK, answered(GW, requests.get(1).withConsent(Optional.of(batch.get(1)))).status());
        final ConsentReceipt third = batch.get(2);
        final ConsentReceipt moved = new ConsentReceipt(third.gatewayId(), third.requestId(), third.entityId(),
                third.userId(), third.channel(), third.device(), third.approvedAt(), third.signature(),
                batch.get(1).batch());
        assertRefused(answered(GW, requests.get(2).withConsent(Optional.of(moved))), "its signature does not verify");
    }

    /** A batch signature the server found good does not carry another request's fields through. */
    @Test
    void anotherRequestRelabelledUnderAGoodBatchSignature_isRefused() {
        final java.util.List<KeyRequest> requests = java.util.List.of(request(EntityId.of("pne-1")),
                request(EntityId.of("pne-2")));
        final java.util.List<ConsentReceipt> batch = new ConsentSignature.Signer(gatewayKey).signBatch(
                requests.stream().map(ConsentReceiptAttackTest::approval).toList());
        assertEquals(Status.OK, answered(GW, requests.get(0).withConsent(Optional.of(batch.get(0)))).status());
        final ConsentReceipt good = batch.get(1);
        final KeyRequest other = request(EntityId.of("pne-9"));
        final ConsentReceipt relabelled = new ConsentReceipt(GW, other.requestId(), other.entityId(), good.userId(),
                good.channel(), good.device(), good.approvedAt(), good.signature(), good.batch());
        assertRefused(answered(GW, other.withConsent(Optional.of(relabelled))), "its signature does not verify");
    }

    private static ConsentSignature.Approval approval(final KeyRequest r) {
        return new ConsentSignature.Approval(GW, r.requestId(), r.entityId(), ALICE, "rule", Optional.of(DEVICE),
                Instant.now());
    }

    @Test
    void noReceiptFromAGatewayWithARegisteredKey_isRefused() {
        assertRefused(answered(GW, request(EntityId.of("pne-1"))), "consent receipt required");
    }

    /** Today's behaviour for a gateway registered before consent receipts: served, nothing stored. */
    @Test
    void aGatewayWithoutRegisteredKey_isServedAsBeforeAndItsReceiptIsNotStored() throws Exception {
        final KeyRequest plain = request(EntityId.of("pne-1"));
        assertEquals(Status.OK, answered(OTHER_GW, plain).status());
        final KeyRequest signed = request(EntityId.of("pne-2"));
        assertEquals(Status.OK, answered(OTHER_GW, signed.withConsent(Optional.of(sign(gatewayKey, OTHER_GW, signed))))
                .status());
        assertTrue(await(store.consents(signed.entityId())).isEmpty());
        assertTrue(auditLines().stream().anyMatch(l -> l.getString("event").equals("consent-not-verifiable")
                && l.getString("entity").equals("pne-2")));
    }

    private void assertRefused(final KeyDelivery d, final String why) {
        assertEquals(Status.FORBIDDEN, d.status());
        assertFalse(d.delivered());
        assertTrue(d.reason().orElse("").contains(why), d.reason().orElse(""));
        assertTrue(await(store.findActive(d.entityId())).isEmpty(), "no key stored");
        assertTrue(await(store.consents(d.entityId())).isEmpty(), "no receipt stored");
        assertTrue(auditLines().stream().anyMatch(l -> l.getString("event").equals("refused")
                && l.getString("entity").equals(d.entityId().value()) && l.getString("reason").contains(why)),
                "the refusal is audited");
    }

    private java.util.List<JsonObject> auditLines() {
        try {
            // the audit writer has no flush; the lines before a closed log are all on disk
            audit.close();
            final java.util.List<JsonObject> lines = Files.readAllLines(dir.resolve("audit.jsonl"), StandardCharsets.UTF_8)
                    .stream().map(JsonObject::new).toList();
            audit = AuditLog.open(dir.resolve("audit.jsonl"));
            return lines;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private KeyRequest request(final EntityId entity) {
        return KeyRequest.proxy(RequestId.of("req-" + ++requests), entity, Optional.empty()).withUser(ALICE);
    }

    private ConsentReceipt sign(final SecretBytes key, final GatewayId gateway, final KeyRequest request) {
        return ConsentSignature.sign(key, gateway, request.requestId(), request.entityId(), ALICE, "page",
                Optional.of(DEVICE), Instant.now());
    }

    /** The request answered after the server's challenge, as a PN GW acting as proxy does it. */
    private KeyDelivery answered(final GatewayId gateway, final KeyRequest request) {
        final Challenge c = assertInstanceOf(Challenge.class, await(service.handle(gateway, request)));
        final KeyRequest answer = DigestClient.answer(request, ALICE.value(), DigestClient.ha1(ALICE.value(), REALM,
                PASSWORD), REALM, X25519.generate().publicKey(), c.nonce(), DigestClient.nc(1), DigestClient.cnonce());
        return assertInstanceOf(KeyDelivery.class, await(service.handle(gateway, answer)));
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }
}
