package org.cpnskeys.containers;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/** The images the suites run (built locally by deploy/images/*.sh) and small helpers. */
final class Images {
    /** Mosquitto: the official image's name; here built from Debian's package by deploy/images/build-mosquitto.sh. */
    static final DockerImageName MOSQUITTO = DockerImageName.parse("eclipse-mosquitto:2.0");
    /** Our roles (server, gateway, broker, pne): deploy/images/build-cpns.sh. */
    static final DockerImageName CPNS = DockerImageName.parse("cpns-keys:local");
    static final List<DockerImageName> ALL = List.of(MOSQUITTO, CPNS);

    private Images() {
    }

    /**
     * Skips the calling suite, with the reason, where Docker or the images are missing and CI does not
     * require them; where CI requires them, lets the suite run (and fail) so nothing is skipped silently.
     */
    static void assumeUsable() {
        if (DockerAvailabilityTest.REQUIRED) {
            return;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no usable Docker: container suites skipped");
        for (final DockerImageName image : ALL) {
            org.junit.jupiter.api.Assumptions.assumeTrue(present(image),
                    image + " not built (deploy/images/build-*.sh): container suites skipped");
        }
    }

    static boolean present(final DockerImageName image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image.asCanonicalNameString()).exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A Mosquitto 2 password-file line ($7$: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt). */
    static String mosquittoPasswordLine(final String user, final String password) throws Exception {
        final byte[] salt = new byte[12];
        new SecureRandom().nextBytes(salt);
        final byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 101, 512)).getEncoded();
        return user + ":$7$101$" + Base64.getEncoder().encodeToString(salt) + "$" + Base64.getEncoder().encodeToString(hash);
    }

    static String randomSecret() {
        final byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
