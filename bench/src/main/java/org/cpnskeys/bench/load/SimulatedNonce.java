package org.cpnskeys.bench.load;

import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * One simulated PN GW's digest state, as the real gateway keeps it: the current server nonce with its nonce count,
 * and one ephemeral X25519 key pair per nonce (the last {@value #KEPT_KEY_PAIRS} kept, so that a delivery answering
 * an older nonce can still be opened). Thread-safe.
 */
final class SimulatedNonce {
    private static final long MAX_NC = 0xffffffffL;
    private static final int KEPT_KEY_PAIRS = 1024;

    private final Ha1 ha1;
    private final Map<String, CachingKeyPair> keysByNonce = new LinkedHashMap<>();
    private String nonce;
    private long nc;

    SimulatedNonce(final Ha1 ha1) {
        this.ha1 = ha1;
    }

    /** The current nonce and the next nonce count (8 hex digits), if there is a usable nonce. */
    synchronized Optional<String[]> next() {
        if (nonce == null || nc >= MAX_NC) {
            return Optional.empty();
        }
        nc++;
        return Optional.of(new String[] {nonce, DigestClient.nc(nc)});
    }

    /** The key pair whose public key answers {@code forNonce}, or null when it is no longer kept. */
    synchronized CachingKeyPair keysOf(final String forNonce) {
        return keysByNonce.get(forNonce);
    }

    /** Takes a challenge's nonce: a new one starts at nonce count 0 with a key pair of its own. */
    synchronized void take(final String fresh) {
        if (!fresh.equals(nonce)) {
            nonce = fresh;
            nc = 0;
            keysByNonce.put(fresh, CachingKeyPair.generate());
            if (keysByNonce.size() > KEPT_KEY_PAIRS) {
                final var eldest = keysByNonce.entrySet().iterator().next();
                eldest.getValue().close();
                keysByNonce.remove(eldest.getKey());
            }
        }
    }

    /** Forgets {@code used} if it is still the current nonce (the server refused it: ask for a new challenge). */
    synchronized void drop(final String used) {
        if (used.equals(nonce)) {
            nonce = null;
        }
    }

    /** Opens a delivery's wrapped EUKey (GCM tag checked) and returns its key check value; the key is zeroed. */
    String open(final EntityId entity, final RequestId requestId, final KeyDelivery d) throws GeneralSecurityException {
        final WrappedKey w = d.wrappedKey().get();
        final CachingKeyPair keys = keysOf(w.nonce());
        if (keys == null) {
            throw new GeneralSecurityException("no ephemeral key for this nonce any more");
        }
        final EuKeyWrap.Context ctx = new EuKeyWrap.Context(w.nonce(), w.cnonce(), entity, d.userId().get(),
                requestId, d.keyId().get(), keys.publicKey(), w.epk());
        try (SecretBytes shared = keys.sharedWith(w.epk());
                SecretBytes key = EuKeyWrap.unwrap(w, ha1, shared, ctx)) {
            return KeyCheckValue.of(key);
        }
    }
}
