package org.cpnskeys.server.seal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

import org.cpnskeys.protocol.crypto.SecretBytes;

/**
 * Seal {@value #ID}: AES-256-GCM computed in a PKCS#11 token (the JDK's SunPKCS11 provider) under an AES key that
 * lives in the token, is sensitive and not extractable, and so never leaves it: the server hands the token the
 * EUKey and gets the sealed bytes back, and the reverse. The sealed bytes have the master key file's layout (a
 * 12-byte IV, then the ciphertext and its 16-byte tag) and the same associated data ({@link KeyBinding#aadV2()}),
 * so a row opens only with the entity, Key ID, user, request ID and gateway it was sealed with. The IV is drawn
 * from the JDK's {@link SecureRandom}; SoftHSM2 2.6 does AES-GCM (CKM_AES_GCM) through SunPKCS11, so no key wrap
 * mechanism is needed.
 *
 * <p><b>Threads.</b> Every method calls the token and blocks: call them on a worker thread, never an event loop
 * ({@link #blocking()} says so to {@link StoredKeySealer}). {@link #seal} and {@link #open} are thread-safe: each
 * call takes its own {@link Cipher} (SunPKCS11 hands each its own session from the provider's pool); {@link #open(
 * Pkcs11SealConfig, boolean)} is not to be run twice at once for one key label when it may create the key.
 *
 * <p><b>Login.</b> The user PIN is read from an owner-only file, given to the token once, and its copies zeroed;
 * it is never logged nor put in a message. PKCS#11 login is per process and token, so {@link #close()} does not log
 * out (another seal of the same process may still use the token); the login ends with the process.
 */
public final class Pkcs11Seal implements KeySeal, AutoCloseable {
    /** The id stored with every row sealed in a PKCS#11 token. */
    public static final int ID = 3;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final AtomicInteger PROVIDERS = new AtomicInteger();

    private final Provider provider;
    private final SecretKey key;
    private final String name;
    private final SecureRandom random = new SecureRandom();

    private Pkcs11Seal(final Provider provider, final SecretKey key, final String name) {
        this.provider = provider;
        this.key = key;
        this.name = name;
    }

    /**
     * Logs in to the token and finds the AES key labelled {@code config.keyLabel()}; if there is none and {@code
     * create} is set, generates one in the token (AES-256, sensitive, not extractable) under that label. Blocking.
     *
     * @throws IllegalStateException naming the file, token or key at fault (never the PIN) if the library does not
     *         load, the PIN file is unreadable or readable by others, the token refuses the PIN, or the key is
     *         missing (and not to be created), not AES, or readable out of the token
     */
    public static Pkcs11Seal open(final Pkcs11SealConfig config, final boolean create) {
        Objects.requireNonNull(config, "config");
        if (!Files.isRegularFile(config.library())) {
            throw new IllegalStateException("no PKCS#11 library at " + config.library());
        }
        final Provider provider;
        try {
            provider = Security.getProvider("SunPKCS11")
                    .configure(config.providerConfiguration("cpns-seal-" + PROVIDERS.incrementAndGet()));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot use the PKCS#11 token at " + (config.slot().isPresent()
                    ? "slot " + config.slot().getAsLong() : "slot list index " + config.slotListIndex()) + " of "
                    + config.library() + ": " + rootMessage(e), e);
        }
        final KeyStore store;
        final char[] pin = readPin(config.pinFile());
        try {
            store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot log in to the PKCS#11 token of " + config.describe()
                    + " with the user PIN in " + config.pinFile() + ": " + rootMessage(e), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
        try {
            final SecretKey key = findOrCreate(store, provider, config, create);
            if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
                throw new IllegalStateException("the " + config.describe() + " is a " + key.getAlgorithm()
                        + " key, not AES");
            }
            // a sensitive or unextractable key has no encoding: one that does could be read out of the token
            if (key.getEncoded() != null) {
                throw new IllegalStateException("the " + config.describe() + " can be read out of the token (it is"
                        + " extractable or not sensitive): refused; make a new key with `cpns server migrate-master-key"
                        + " --to pkcs11` under another label");
            }
            return new Pkcs11Seal(provider, key, "seal " + ID + " (AES-256-GCM computed in the token, " + config.describe()
                    + ")");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot use the " + config.describe() + ": " + rootMessage(e), e);
        }
    }

    private static SecretKey findOrCreate(final KeyStore store, final Provider provider, final Pkcs11SealConfig config,
            final boolean create) throws GeneralSecurityException {
        final Key found = store.getKey(config.keyLabel(), null);
        if (found instanceof SecretKey s) {
            return s;
        }
        if (found != null) {
            throw new IllegalStateException("the " + config.describe() + " is not a secret key");
        }
        if (!create) {
            throw new IllegalStateException("there is no " + config.describe() + " (make it, and move the stored"
                    + " EUKeys under it, with `cpns server migrate-master-key --to pkcs11`)");
        }
        final KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
        generator.init(256);
        // a session object (see Pkcs11SealConfig), copied into the token under the label
        store.setEntry(config.keyLabel(), new KeyStore.SecretKeyEntry(generator.generateKey()), null);
        final Key made = store.getKey(config.keyLabel(), null);
        if (!(made instanceof SecretKey s)) {
            throw new IllegalStateException("the token did not keep the new " + config.describe());
        }
        return s;
    }

    /** The user PIN in {@code file}, which must be readable by its owner only; the caller zeroes it. */
    private static char[] readPin(final Path file) {
        byte[] raw = null;
        try {
            final Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(NOT_OWNER::contains)) {
                throw new IllegalStateException("the PKCS#11 PIN file " + file + " must be readable by its owner only"
                        + " (chmod 600 " + file + ")");
            }
            raw = Files.readAllBytes(file);
            int end = raw.length;
            while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
                end--;
            }
            if (end == 0) {
                throw new IllegalStateException("the PKCS#11 PIN file " + file + " is empty");
            }
            final CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw, 0, end));
            final char[] pin = new char[chars.remaining()];
            chars.get(pin);
            Arrays.fill(chars.array(), '\0');
            return pin;
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("the PKCS#11 PIN file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the PKCS#11 PIN from " + file + ": " + e.getClass()
                    .getSimpleName());
        } finally {
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
        }
    }

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public boolean blocking() {
        return true;
    }

    /** Seals in the token; fails with an {@link IllegalStateException} (no key material) if the token fails. */
    @Override
    public byte[] seal(final SecretBytes euKey, final KeyBinding binding) {
        final byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        final byte[] plain = euKey.reveal();
        try {
            final Cipher cipher = Cipher.getInstance(TRANSFORMATION, provider);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(binding.aadV2());
            final byte[] ct = cipher.doFinal(plain);
            final byte[] out = Arrays.copyOf(iv, IV_BYTES + ct.length);
            System.arraycopy(ct, 0, out, IV_BYTES, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the PKCS#11 token did not seal: " + rootMessage(e), e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    @Override
    public SecretBytes open(final byte[] sealed, final KeyBinding binding) throws GeneralSecurityException {
        if (sealed.length <= IV_BYTES + TAG_BITS / 8) {
            throw new GeneralSecurityException("sealed key too short");
        }
        final Cipher cipher = Cipher.getInstance(TRANSFORMATION, provider);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
        cipher.updateAAD(binding.aadV2());
        return SecretBytes.adopt(cipher.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES));
    }

    /** Drops the key handle; the token's login ends with the process (see the class comment). */
    @Override
    public void close() {
        // nothing to release: the provider's sessions are closed when it is collected
    }

    @Override
    public String toString() {
        return name;
    }
}
