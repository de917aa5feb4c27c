package org.cpnskeys.pne;

import java.util.Optional;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.Status;

/**
 * How a PNE's Key Request ended: status 200 with the key id and key check value of the EUKey it stored, or
 * the refusal's status and reason (nothing stored).
 */
public record PneOutcome(EntityId entityId, int status, String reason, Optional<KeyId> keyId,
        Optional<String> keyCheckValue) {
    public boolean stored() {
        return status == Status.OK && keyId.isPresent();
    }
}
