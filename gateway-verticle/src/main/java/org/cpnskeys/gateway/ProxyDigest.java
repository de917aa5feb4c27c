package org.cpnskeys.gateway;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import org.cpnskeys.protocol.Challenge;
import org.cpnskeys.protocol.DigestAuthorization;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.gateway.credentials.UserCredentials;

/**
 * The gateway's digest state as proxy (F5): the server's current nonce, reused with an increasing nonce
 * count so that after the first PNE a key costs one cloud round trip, and a fresh cnonce per answer.
 * Shared by the gateway's verticle instances (thread-safe): every instance uses the one nonce and each nonce count
 * is taken once (the server refuses a reused (nonce, nc) pair, not one out of order).
 */
final class ProxyDigest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long MAX_NC = 0xffffffffL;
    private String nonce;
    private long nc;

    /** A request with its digest answer, and the cnonce the answer used (the KEK depends on it). */
    record Answer(KeyRequest request, String nonce, String cnonce) {
    }

    /** Answers with the cached nonce, if there is one. */
    Optional<Answer> answer(final KeyRequest request, final UserCredentials credentials) {
        final String nonce;
        final long nc;
        synchronized (this) {
            if (this.nonce == null || this.nc >= MAX_NC) {
                return Optional.empty();
            }
            nonce = this.nonce;
            nc = ++this.nc;
        }
        final String cnonce = cnonce();
        final String ncHex = DigestClient.nc(nc);
        final String response = DigestClient.keyRequestResponse(credentials.ha1(), request.entityId(), nonce, ncHex,
                cnonce);
        final DigestAuthorization auth = new DigestAuthorization(credentials.userId().value(), credentials.realm(),
                nonce, DigestClient.uri(request.entityId()), DigestClient.QOP, ncHex, cnonce, response);
        return Optional.of(new Answer(request.withAuthorization(auth), nonce, cnonce));
    }

    /** Takes the nonce of a challenge (a fresh one, or a stale replacement). */
    synchronized void accept(final Challenge challenge) {
        if (challenge.nonce().equals(nonce)) {
            return; // the nonce in use (another instance took it already): its counts must not start again
        }
        nonce = challenge.nonce();
        nc = 0;
    }

    private static String cnonce() {
        final byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
