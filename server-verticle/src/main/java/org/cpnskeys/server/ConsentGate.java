package org.cpnskeys.server;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.server.store.EuKeyRepository;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consent receipts of answered Key Requests ([L] 3): checked against the gateway's registered consent key
 * before the request is judged, and stored with the key the request got. A gateway with a registered key must send
 * a receipt that verifies; a gateway without one is served as before (a receipt it sends is not verifiable: it is
 * audited as such and not stored). An Ed25519 verification runs on a worker; the batch signatures found good are
 * remembered ({@link ConsentSignature.Verifier}), so the receipts of one batch cost one verification between them,
 * and a receipt of a batch already found good is checked on the caller's thread (its Merkle path: a few SHA-256).
 */
final class ConsentGate {
    private static final Logger LOG = LoggerFactory.getLogger(ConsentGate.class);

    private final AuditLog audit;
    /** The batch signatures found good lately (a batch's receipts arrive within milliseconds of each other). */
    private final ConsentSignature.Verifier verifier = new ConsentSignature.Verifier(4096);
    private volatile ConsentKeys keys = ConsentKeys.NONE;
    private volatile Vertx workers;

    ConsentGate(final AuditLog audit) {
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
        final Supplier<Optional<String>> problem = () -> ConsentCheck.problem(receipt, gateway, request.requestId(),
                request.entityId(), auth.userId(), key.get(), verifier);
        if (verifier.remembers(receipt, key.get())) {
            // its batch's signature was found good moments ago: what is left is a few SHA-256 of its path, done here
            try {
                return Future.succeededFuture(accepted(problem.get(), request, receipt));
            } catch (ProtocolException e) {
                return Future.failedFuture(e);
            }
        }
        return workers.executeBlocking(problem::get, false).map(p -> accepted(p, request, receipt));
    }

    private static Optional<ConsentReceipt> accepted(final Optional<String> problem, final KeyRequest request,
            final ConsentReceipt receipt) {
        if (problem.isPresent()) {
            LOG.warn("refused: entity={} request={}: consent receipt refused: {}", request.entityId(),
                    request.requestId(), problem.get());
            throw new ProtocolException(Status.FORBIDDEN, "consent receipt refused: " + problem.get());
        }
        return Optional.of(receipt);
    }

    /** The receipt's wire form, stored with the key in the assignment's transaction ({@link EuKeyRepository#assign}). */
    static Optional<String> wire(final Optional<ConsentReceipt> consent) {
        return consent.map(c -> MessageCodec.consentJson(c).encode());
    }
}
