package org.cpnskeys.server.seal;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Where the master key of {@link Pkcs11Seal} lives: a PKCS#11 library, the token's slot, the label of the AES key in
 * it, and the file holding the token's user PIN (owner-only; its content is never logged nor put in a message).
 *
 * @param library the PKCS#11 module (for SoftHSM2 on Debian, {@code /usr/lib/softhsm/libsofthsm2.so})
 * @param slot the token's slot id, when given; else the slot at {@code slotListIndex} in the library's slot list
 * @param slotListIndex the index in the library's slot list (used without a slot id; 0 by default)
 * @param keyLabel the label (CKA_LABEL) of the AES key in the token
 * @param pinFile the file holding the token's user PIN
 */
public record Pkcs11SealConfig(Path library, OptionalLong slot, int slotListIndex, String keyLabel, Path pinFile) {

    public Pkcs11SealConfig {
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(pinFile, "pinFile");
        // the path goes into the SunPKCS11 configuration, quoted
        if (library.toString().contains("\"") || library.toString().contains("\n")) {
            throw new IllegalArgumentException("the PKCS#11 library path " + library + " must not contain '\"' or a"
                    + " line break");
        }
        if (slotListIndex < 0) {
            throw new IllegalArgumentException("the PKCS#11 slot list index must be 0 or more, not " + slotListIndex);
        }
        if (keyLabel == null || keyLabel.isBlank()) {
            throw new IllegalArgumentException("the PKCS#11 key label must not be empty");
        }
    }

    /** The SunPKCS11 configuration: this library and slot, no key attributes (they are set where a key is made). */
    String providerConfiguration(final String name) {
        return "--name = " + name + "\nlibrary = \"" + library.toAbsolutePath() + "\"\n"
                + (slot.isPresent() ? "slot = " + slot.getAsLong() : "slotListIndex = " + slotListIndex) + "\n"
                // a key generated here is a session object first, then copied into the token with its label: made
                // sensitive and not extractable, so that neither it nor its copy can ever be read out
                + "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n  CKA_ENCRYPT = true\n  CKA_DECRYPT = true\n}\n";
    }

    /** Where the key is, for logs and messages (no PIN). */
    public String describe() {
        return "key '" + keyLabel + "' in the PKCS#11 token at " + (slot.isPresent() ? "slot " + slot.getAsLong()
                : "slot list index " + slotListIndex) + " of " + library;
    }
}
