package org.cpnskeys.server.seal;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * The seals a server knows: the {@code current} one, which seals every new key and is the only one a Key Delivery
 * opens, and the {@code retired} ones, which {@link StoredKeyResealer} opens to move their keys to the current one.
 */
public record SealSet(KeySeal current, List<KeySeal> retired) {

    public SealSet {
        Objects.requireNonNull(current, "current");
        retired = List.copyOf(retired);
        if (retired.stream().anyMatch(s -> s.id() == current.id())) {
            throw new IllegalArgumentException("a retired seal has the current seal's id " + current.id());
        }
    }

    /** The default: seal 2 under the master key file, seal 1 retired. */
    public static SealSet masterKeyFile(final SecretBytes masterKey) {
        return new SealSet(MasterKeySeal.v2(masterKey), List.of(MasterKeySeal.v1(masterKey)));
    }

    /** The seal with this id, current or retired. */
    public Optional<KeySeal> byId(final int id) {
        if (current.id() == id) {
            return Optional.of(current);
        }
        return retired.stream().filter(s -> s.id() == id).findFirst();
    }
}
