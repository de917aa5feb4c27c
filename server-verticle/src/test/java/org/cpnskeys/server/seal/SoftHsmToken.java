package org.cpnskeys.server.seal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.slf4j.LoggerFactory;

/**
 * One SoftHSM2 token for the PKCS#11 tests of a test JVM: SoftHSM2 reads its configuration from {@code
 * SOFTHSM2_CONF} once per process (the build sets the variable for failsafe, under {@code target/}), so the first
 * use writes that file, empties its token folder and makes a token with {@code softhsm2-util --init-token}; each
 * test then uses its own key label. Without SoftHSM2 (Debian package {@code softhsm2}) the tests are skipped, unless
 * {@code CI_REQUIRE_SOFTHSM=1}: then they fail.
 */
public final class SoftHsmToken {
    /** Set to 1 in CI: a missing SoftHSM2 fails the tests instead of skipping them. */
    public static final String REQUIRE_ENV = "CI_REQUIRE_SOFTHSM";
    private static final List<Path> LIBRARIES = List.of(Path.of("/usr/lib/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"), Path.of("/usr/lib64/pkcs11/libsofthsm2.so"),
            Path.of("/usr/local/lib/softhsm/libsofthsm2.so"));
    private static final Pattern SLOT = Pattern.compile("reassigned to slot (\\d+)");
    private static SoftHsmToken token;

    /** The token's module. */
    public final Path library;
    /** The token's slot id. */
    public final long slot;
    /** The owner-only file holding its user PIN. */
    public final Path pinFile;
    /** Its user PIN (to show it never appears in a message). */
    public final String pin;

    private SoftHsmToken(final Path library, final long slot, final Path pinFile, final String pin) {
        this.library = library;
        this.slot = slot;
        this.pinFile = pinFile;
        this.pin = pin;
    }

    /** The token of this JVM, made on first use; skips the test (or fails it in CI) without SoftHSM2. */
    public static synchronized SoftHsmToken getOrSkip() {
        if (token == null) {
            token = make();
        }
        return token;
    }

    /** Where a key labelled {@code label} is in this token. */
    public Pkcs11SealConfig config(final String label) {
        return new Pkcs11SealConfig(library, OptionalLong.of(slot), 0, label, pinFile);
    }

    private static SoftHsmToken make() {
        final Optional<Path> library = LIBRARIES.stream().filter(Files::isRegularFile).findFirst();
        final String conf = System.getenv("SOFTHSM2_CONF");
        final boolean util = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "softhsm2-util")));
        if (library.isEmpty() || !util || conf == null || conf.isBlank()) {
            final String why = library.isEmpty() || !util
                    ? "SoftHSM2 is not installed (no libsofthsm2.so or softhsm2-util; apt-get install softhsm2)"
                    : "SOFTHSM2_CONF is not set (the build sets it for the *IT tests)";
            if ("1".equals(System.getenv(REQUIRE_ENV))) {
                throw new AssertionError(REQUIRE_ENV + "=1 but " + why);
            }
            LoggerFactory.getLogger(SoftHsmToken.class).warn("PKCS#11 tests skipped: {}", why);
            Assumptions.abort(why);
        }
        try {
            final Path confFile = Path.of(conf);
            final Path tokens = confFile.resolveSibling("tokens");
            deleteTree(tokens);
            Files.createDirectories(tokens);
            Files.writeString(confFile, "directories.tokendir = " + tokens.toAbsolutePath() + "\nobjectstore.backend = file"
                    + "\nlog.level = ERROR\nslots.removable = false\n");
            final SecureRandom random = new SecureRandom();
            final String pin = HexFormat.of().formatHex(random.generateSeed(6));
            final String soPin = HexFormat.of().formatHex(random.generateSeed(6));
            final Process p = new ProcessBuilder("softhsm2-util", "--init-token", "--free", "--label", "cpns-it",
                    "--so-pin", soPin, "--pin", pin).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("softhsm2-util --init-token failed: " + out);
            }
            final Matcher m = SLOT.matcher(out);
            if (!m.find()) {
                throw new AssertionError("no slot in softhsm2-util's answer: " + out);
            }
            final Path pinFile = confFile.resolveSibling("user.pin");
            Files.deleteIfExists(pinFile);
            Files.createFile(pinFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pinFile, pin + "\n");
            return new SoftHsmToken(library.get(), Long.parseLong(m.group(1)), pinFile, pin);
        } catch (IOException e) {
            throw new AssertionError("cannot make a SoftHSM2 token: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
