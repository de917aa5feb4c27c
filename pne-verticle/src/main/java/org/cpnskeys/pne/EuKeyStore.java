package org.cpnskeys.pne;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The PNE's EUKey at rest (F10, R18): an AES secret-key entry in a PKCS#12 file, alias = Entity ID, written
 * atomically and owner-only. Blocking: call from a worker.
 */
public final class EuKeyStore {
    private EuKeyStore() {
    }

    public static void store(final Path file, final char[] password, final EntityId entity, final SecretBytes euKey)
            throws IOException, GeneralSecurityException {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        final byte[] raw = euKey.reveal();
        try {
            ks.setEntry(entity.value(), new KeyStore.SecretKeyEntry(new SecretKeySpec(raw, "AES")),
                    new KeyStore.PasswordProtection(password));
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password);
        final byte[] bytes = out.toByteArray();
        try {
            SecretFiles.writeAtomically(file, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Deletes the stored EUKey after the owner's release: the file holds only this PNE's entry (section 11), so the
     * file goes. Nothing to do when there is none.
     */
    public static void delete(final Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    public static SecretBytes load(final Path file, final char[] password, final EntityId entity)
            throws IOException, GeneralSecurityException {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(Files.readAllBytes(file)), password);
        final KeyStore.Entry entry = ks.getEntry(entity.value(), new KeyStore.PasswordProtection(password));
        if (!(entry instanceof KeyStore.SecretKeyEntry s)) {
            throw new GeneralSecurityException("no EUKey for " + entity + " in " + file);
        }
        final SecretKey key = s.getSecretKey();
        return SecretBytes.adopt(key.getEncoded());
    }
}
