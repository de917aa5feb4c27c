package org.cpnskeys.server;

import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.server.store.AssignResult;
import org.cpnskeys.server.store.EuKeyRepository;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consent receipts of answered Key Requests ([L] 3): checked against the gateway's registered consent key
 * before the request is judged, and stored with the key the request got. A gateway with a registered key must send
 * a receipt that verifies; a gateway without one is served as before (a receipt it sends is not verifiable: it is
 * audited as such and not stored). Each verification runs on a worker; the batch signatures found good are
 * remembered ({@link ConsentSignature.Verifier}), so the receipts of one batch cost one Ed25519 verification.
 */
final class ConsentGate {
    private static final Logger LOG = LoggerFactory.getLogger(ConsentGate.class);

    private final EuKeyRepository store;
    private final AuditLog audit;
    /** The batch signatures found good lately (a batch's receipts arrive within milliseconds of each other). */
    private final ConsentSignature.Verifier verifier = new ConsentSignature.Verifier(4096);
    private volatile ConsentKeys keys = ConsentKeys.NONE;
    private volatile Vertx workers;

    ConsentGate(final EuKeyRepository store, final AuditLog audit) {
        this.store = store;
        this.audit = audit;
    }

    /** Checks receipts against these keys from now on, each verification on a worker of {@code workers}. */
    void use(final ConsentKeys keys, final Vertx workers) {
        this.workers = Objects.requireNonNull(workers);
        this.keys = Objects.requireNonNull(keys);
    }

    /**
     * The request's consent receipt once verified (to be stored with the key), empty when the gateway has no
     * consent key; a 403 when the gateway has one and the receipt is missing, for another request, entity,
     * gateway or user, or not signed with it.
     */
    Future<Optional<ConsentReceipt>> verified(final GatewayId gateway, final KeyRequest request,
            final DigestAuthorization auth) {
        final Optional<byte[]> key = keys.of(gateway);
        if (key.isEmpty()) {
            request.consent().ifPresent(c -> audit.record("consent-not-verifiable", gateway.value(),
                    request.entityId().value(), auth.username(), request.proxy(), 0,
                    "no consent key registered for gateway " + gateway + "; receipt not stored", null));
            return Future.succeededFuture(Optional.empty());
        }
        if (request.consent().isEmpty()) {
            return Future.failedFuture(new ProtocolException(Status.FORBIDDEN,
                    "consent receipt required: gateway " + gateway + " has a registered consent key"));
        }
        final ConsentReceipt receipt = request.consent().get();
        return workers.executeBlocking(() -> ConsentCheck.problem(receipt, gateway, request.requestId(),
                request.entityId(), auth.userId(), key.get(), verifier), false).map(p -> {
                    if (p.isPresent()) {
                        LOG.warn("refused: entity={} request={}: consent receipt refused: {}", request.entityId(),
                                request.requestId(), p.get());
                        throw new ProtocolException(Status.FORBIDDEN, "consent receipt refused: " + p.get());
                    }
                    return Optional.of(receipt);
                });
    }

    /** Stores the verified receipt with the key its request got (created now or before, for the same user). */
    Future<AssignResult> store(final AssignResult result, final KeyRequest request, final UserId user,
            final Optional<ConsentReceipt> consent) {
        final boolean keyOfThisRequest = result instanceof AssignResult.Created
                || result instanceof AssignResult.Existing x && x.key().userId().equals(user);
        if (consent.isEmpty() || !keyOfThisRequest) {
            return Future.succeededFuture(result);
        }
        return store.storeConsent(request.entityId(), request.requestId(),
                MessageCodec.consentJson(consent.get()).encode()).map(result);
    }
}
