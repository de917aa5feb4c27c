package org.cpnskeys.server.seal;

import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;

/**
 * A stored EUKey did not open (it was reported when this was thrown). Maps to a Key Delivery without key, 500:
 * whatever the row says, its key is not delivered.
 */
public final class StoredKeyUnopenableException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    StoredKeyUnopenableException() {
        super(Status.INTERNAL_ERROR, "stored key cannot be opened");
    }
}
