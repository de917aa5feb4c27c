package org.cpnskeys.server.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.crypto.KeyCheckValue;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.seal.StoredKeyUnopenableException;
import org.cpnskeys.server.store.EuKeyRepository;
import org.cpnskeys.server.store.KeyInfo;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.StoredKey;

/**
 * The key check values (docs/PROTOCOL.md section 11: the first 3 bytes of AES-256-ECB(EUKey, zero block), hex) of
 * the ACTIVE keys an operator lists, so that they can confirm a device holds the right key without anyone seeing it.
 * Computed on demand (no KCV is stored): each ACTIVE key's sealed row is read, then every key is opened and its
 * KCV computed in ONE worker task, off the event loop; the clear key is zeroed at once and never leaves this class.
 * A key that does not open is reported by the sealer as always (ERROR line, metric, audit) and gets no KCV.
 */
public final class KeyCheckValues {
    private final Vertx vertx;
    private final EuKeyRepository store;
    private final StoredKeySealer sealer;

    public KeyCheckValues(final Vertx vertx, final EuKeyRepository store, final StoredKeySealer sealer) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.store = Objects.requireNonNull(store, "store");
        this.sealer = Objects.requireNonNull(sealer, "sealer");
    }

    /** What a listed key's check shows: its KCV, or empty when the stored key does not open. */
    public record Check(Optional<String> kcv) {
    }

    /**
     * The check of every ACTIVE key among {@code keys}, by Key ID (a key rotated or released meanwhile is simply
     * absent from the map).
     */
    public Future<Map<KeyId, Check>> of(final List<KeyInfo> keys) {
        Future<List<StoredKey>> rows = Future.succeededFuture(new ArrayList<>());
        for (final KeyInfo k : keys) {
            if (k.state() == KeyState.ACTIVE) {
                rows = rows.compose(list -> store.findActive(k.entityId()).map(found -> {
                    found.filter(s -> s.keyId().equals(k.keyId())).ifPresent(list::add);
                    return list;
                }));
            }
        }
        return rows.compose(list -> vertx.executeBlocking(() -> {
            final Map<KeyId, Check> checks = new HashMap<>();
            for (final StoredKey stored : list) {
                checks.put(stored.keyId(), check(stored));
            }
            return checks;
        }, false));
    }

    private Check check(final StoredKey stored) {
        try (SecretBytes key = sealer.open(stored)) {
            return new Check(Optional.of(KeyCheckValue.of(key)));
        } catch (StoredKeyUnopenableException e) {
            return new Check(Optional.empty());
        }
    }
}
