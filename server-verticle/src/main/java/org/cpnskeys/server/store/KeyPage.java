package org.cpnskeys.server.store;

import java.util.List;

/**
 * One page of {@link EuKeyRepository#findNotSealedWith}: the keys, and the position to ask for the next page from
 * (an opaque store position, increasing; the keys of a page are in that order).
 */
public record KeyPage(List<StoredKey> keys, long next) {

    public KeyPage {
        keys = List.copyOf(keys);
    }
}
