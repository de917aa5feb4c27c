package org.cpnskeys.gateway.credentials;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The credentials of the gateway's owner (seed step 0 / F0: "User ID and password are configured in PN GW"),
 * kept as HA1 only: at most one user per gateway.
 *
 * <p>The file holds one htdigest-style line, {@code user:realm:ha1hex}, written atomically and owner-only (0600)
 * through {@link SecretFiles}; no file means no credentials. The password is never written, never kept: it is
 * turned into HA1 by {@link DigestClient#ha1} and forgotten (the caller zeroes its own array).
 *
 * <p>{@link #open}, {@link #set}, {@link #store} and {@link #clear} are <b>blocking</b> (file I/O): call them from a
 * worker, never from an event loop. {@link #current()} is not blocking. Thread-safe.
 */
public final class GatewayCredentials {
    private final Path file;
    private volatile Optional<UserCredentials> current;

    private GatewayCredentials(final Path file, final Optional<UserCredentials> current) {
        this.file = file;
        this.current = current;
    }

    /**
     * Opens the credentials file, which may be absent (no credentials configured yet). Blocking.
     *
     * @throws IOException when the file exists but cannot be read or is not one valid {@code user:realm:ha1} line
     *         (the message never quotes the file's content)
     */
    public static GatewayCredentials open(final Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            return new GatewayCredentials(file, Optional.empty());
        }
        final byte[] content = Files.readAllBytes(file);
        try {
            return new GatewayCredentials(file, Optional.of(parse(content, file)));
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** The configured credentials, if any. Not blocking. */
    public Optional<UserCredentials> current() {
        return current;
    }

    /** The file this instance stores into. */
    public Path file() {
        return file;
    }

    /**
     * Computes HA1 = MD5(user:realm:password) and stores user, realm and HA1, replacing any previous user. Blocking.
     * The password array is only read: the caller zeroes it afterwards.
     */
    public UserCredentials set(final UserId user, final String realm, final char[] password) throws IOException {
        Objects.requireNonNull(user, "user");
        UserCredentials.checkRealm(realm);
        Objects.requireNonNull(password, "password");
        return store(new UserCredentials(user, realm, DigestClient.ha1(user.value(), realm, password)));
    }

    /** Stores credentials already reduced to HA1 (e.g. from a {@link CredentialPrompt}). Blocking. */
    public synchronized UserCredentials store(final UserCredentials credentials) throws IOException {
        Objects.requireNonNull(credentials, "credentials");
        final byte[] line = (credentials.userId().value() + ":" + credentials.realm() + ":" + credentials.ha1().hex()
                + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            SecretFiles.writeAtomically(file, line);
        } finally {
            Arrays.fill(line, (byte) 0);
        }
        current = Optional.of(credentials);
        return credentials;
    }

    /** Forgets the credentials and deletes the file. Blocking. */
    public synchronized void clear() throws IOException {
        Files.deleteIfExists(file);
        current = Optional.empty();
    }

    @Override
    public String toString() {
        return "GatewayCredentials[" + file + ", " + current.map(c -> "user " + c.userId()).orElse("none") + "]";
    }

    private static UserCredentials parse(final byte[] content, final Path file) throws IOException {
        final String text = new String(content, StandardCharsets.UTF_8).strip();
        final String[] fields = text.split(":", -1);
        if (text.isEmpty() || text.indexOf('\n') >= 0 || fields.length != 3) {
            throw new IOException("credentials file " + file + " is not one user:realm:ha1 line"
                    + " (remove it and configure the credentials again)");
        }
        try {
            return new UserCredentials(UserId.of(fields[0]), fields[1], Ha1.fromHex(fields[2]));
        } catch (IllegalArgumentException e) {
            throw new IOException("credentials file " + file + " is corrupt: " + e.getMessage()
                    + " (remove it and configure the credentials again)");
        }
    }
}
