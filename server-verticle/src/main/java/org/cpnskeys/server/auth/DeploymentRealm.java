package org.cpnskeys.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * The digest realm of one deployment. HA1 = MD5(user:realm:password) does not depend on anything else, so two
 * deployments with one realm name give a user who reuses a password the same HA1 in both: an HA1 (or a
 * recorded digest answer) taken from one works against, or can be tested offline for, the other. So a new
 * deployment gets a realm of its own, {@code cpns-} followed by 16 random hex digits, generated the first time a
 * server starts or a user is added, and kept in the file {@value #FILE} of the server's data folder.
 *
 * <p>The effective realm, in order: an explicit realm ({@code --realm}), which must then be the realm of the
 * users already in the htdigest file; else the realm of the users in the htdigest file (a deployment that has
 * users keeps their realm, since their HA1 cannot be recomputed without their passwords); else the realm kept in
 * the data folder; else a new one, kept there. Blocking file work: call it at start-up or from a command, never
 * on an event loop.
 */
public final class DeploymentRealm {
    /** The file, in the server's data folder, that keeps the realm. */
    public static final String FILE = "realm";
    /** What a generated realm starts with. */
    public static final String PREFIX = "cpns-";
    private static final SecureRandom RANDOM = new SecureRandom();

    private DeploymentRealm() {
    }

    /** The effective realm, generated and kept in {@code dataDir} if there is none yet. */
    public static String resolve(final Path dataDir, final Path htdigestFile, final Optional<String> explicit)
            throws IOException {
        final Optional<String> known = existing(dataDir, htdigestFile, explicit);
        if (known.isPresent()) {
            return known.get();
        }
        final String generated = PREFIX + HexFormat.of().formatHex(random(8));
        try {
            SecretFiles.ownerOnlyDirectory(dataDir);
            SecretFiles.writeNew(dataDir.resolve(FILE), (generated + "\n").getBytes(StandardCharsets.US_ASCII));
            return generated;
        } catch (FileAlreadyExistsException raced) {
            return kept(dataDir).orElseThrow(() -> raced);
        }
    }

    /**
     * The effective realm if there is one already (explicit, of the users, or kept in {@code dataDir}); never
     * writes, except to keep the users' realm in {@code dataDir} when it holds none, so that the realm stays
     * when the last user is removed.
     *
     * @throws IllegalStateException when the explicit realm is not the users' realm, or the htdigest file holds
     *         several realms
     */
    public static Optional<String> existing(final Path dataDir, final Path htdigestFile, final Optional<String> explicit)
            throws IOException {
        explicit.ifPresent(r -> {
            if (!HtdigestFile.isValidRealm(r)) {
                throw new IllegalArgumentException("--realm must be 1-64 printable ASCII characters without '\"', '\\'"
                        + " or ':'");
            }
        });
        final Optional<String> users = usersRealm(htdigestFile);
        if (explicit.isPresent()) {
            if (users.isPresent() && !users.get().equals(explicit.get())) {
                throw new IllegalStateException("--realm (or CPNS_REALM) says \"" + explicit.get() + "\" but the users"
                        + " in " + htdigestFile + " are in realm \"" + users.get() + "\": their HA1 holds their realm,"
                        + " so they would all fail. Drop --realm (the users' realm is used), or add every user again"
                        + " in the new realm (cpns user add --realm " + explicit.get() + ", in a new htdigest file)");
            }
            return explicit;
        }
        if (users.isPresent()) {
            if (kept(dataDir).isEmpty()) {
                SecretFiles.ownerOnlyDirectory(dataDir);
                try {
                    SecretFiles.writeNew(dataDir.resolve(FILE), (users.get() + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (FileAlreadyExistsException raced) {
                    // another process kept it first; the users' realm is the one used either way
                }
            }
            return users;
        }
        return kept(dataDir);
    }

    /** The realm kept in {@code dataDir}, if any. */
    public static Optional<String> kept(final Path dataDir) throws IOException {
        final Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        final String realm = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!HtdigestFile.isValidRealm(realm)) {
            throw new IllegalStateException(file + " does not hold a valid realm (1-64 printable ASCII characters"
                    + " without '\"', '\\' or ':'): fix it, or delete it while there are no users to get a new one");
        }
        return Optional.of(realm);
    }

    private static Optional<String> usersRealm(final Path htdigestFile) throws IOException {
        if (!Files.exists(htdigestFile)) {
            return Optional.empty();
        }
        final Set<String> realms = HtdigestFile.read(htdigestFile).realms();
        if (realms.size() > 1) {
            throw new IllegalStateException(htdigestFile + " holds users of " + realms.size() + " realms " + realms
                    + ": a server has one realm; keep the users of one");
        }
        return realms.stream().findFirst();
    }

    private static byte[] random(final int n) {
        final byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
