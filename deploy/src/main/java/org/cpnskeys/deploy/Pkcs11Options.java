package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.util.OptionalLong;

import org.cpnskeys.server.seal.Pkcs11SealConfig;

import picocli.CommandLine.Option;

/** Where the master key lives in a PKCS#11 token: {@code cpns server --master-key pkcs11} and the migration. */
final class Pkcs11Options {
    /** The label a key gets when none is named. */
    static final String DEFAULT_KEY_LABEL = "cpns-master-key";

    @Option(names = "--pkcs11-library", defaultValue = "${env:CPNS_PKCS11_LIBRARY}",
            description = {"PKCS#11 module of the token holding the master key (SoftHSM2 on Debian:",
                    "/usr/lib/softhsm/libsofthsm2.so; env CPNS_PKCS11_LIBRARY)."})
    Path library;

    @Option(names = "--pkcs11-slot", defaultValue = "${env:CPNS_PKCS11_SLOT}",
            description = "The token's slot id (env CPNS_PKCS11_SLOT); default: the slot at --pkcs11-slot-index.")
    Long slot;

    @Option(names = "--pkcs11-slot-index", defaultValue = "${env:CPNS_PKCS11_SLOT_INDEX:-0}",
            description = "Index of the token's slot in the module's slot list, when no --pkcs11-slot (default ${DEFAULT-VALUE}).")
    int slotIndex;

    @Option(names = "--pkcs11-key-label", defaultValue = "${env:CPNS_PKCS11_KEY_LABEL:-" + DEFAULT_KEY_LABEL + "}",
            description = "Label of the AES master key in the token (env CPNS_PKCS11_KEY_LABEL; default ${DEFAULT-VALUE}).")
    String keyLabel;

    @Option(names = "--pkcs11-pin-file", defaultValue = "${env:CPNS_PKCS11_PIN_FILE}",
            description = "Owner-only file holding the token's user PIN (env CPNS_PKCS11_PIN_FILE; never on the command line).")
    Path pinFile;

    /** Whether any token was named. */
    boolean given() {
        return library != null;
    }

    /** The token these options name; {@code forWhat} says what needs it, for the message when one is missing. */
    Pkcs11SealConfig config(final String forWhat) {
        if (library == null || pinFile == null) {
            throw new IllegalArgumentException(forWhat + " needs --pkcs11-library and --pkcs11-pin-file (the token's"
                    + " module and the owner-only file holding its user PIN)");
        }
        return new Pkcs11SealConfig(library, slot == null ? OptionalLong.empty() : OptionalLong.of(slot), slotIndex,
                keyLabel, pinFile);
    }
}
