package org.cpnskeys.containers;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/** The images the suites run (built locally by deploy/images/*.sh) and small helpers. */
final class Images {
    /** Mosquitto: the official image's name; here built from Debian's package by deploy/images/build-mosquitto.sh. */
    static final DockerImageName MOSQUITTO = DockerImageName.parse("eclipse-mosquitto:2.0");
    /**
     * Our roles (server, gateway, broker, pne): deploy/images/build-cpns.sh; another tag with the system property
     * cpns.image or the environment variable CPNS_IMAGE (an image built from a branch).
     */
    static final DockerImageName CPNS = DockerImageName.parse(setting("cpns.image", "CPNS_IMAGE", "cpns-keys:local"));
    /**
     * PostgreSQL: deploy/images/build-postgres.sh, with the official postgres image's conventions (so
     * cpns.postgres.image / CPNS_POSTGRES_IMAGE may name postgres:15 where it can be pulled).
     */
    static final DockerImageName POSTGRES = DockerImageName.parse(setting("cpns.postgres.image", "CPNS_POSTGRES_IMAGE",
            "cpns-postgres:local")).asCompatibleSubstituteFor("postgres");
    static final List<DockerImageName> ALL = List.of(MOSQUITTO, CPNS, POSTGRES);
    /** The uid the cpns-keys image runs as (USER 10001 in build-cpns.sh). */
    static final int CPNS_UID = 10001;

    private Images() {
    }

    /**
     * Why the container suites cannot run here (no usable Docker, or a local image not built), or empty when they
     * can. Asked once per JVM: the answer does not change during a build.
     */
    static java.util.Optional<String> unusableReason() {
        return UNUSABLE_REASON.get();
    }

    private static final java.util.function.Supplier<java.util.Optional<String>> UNUSABLE_REASON = new java.util.function.Supplier<>() {
        private java.util.Optional<String> answer;

        @Override
        public synchronized java.util.Optional<String> get() {
            if (answer == null) {
                answer = probe();
            }
            return answer;
        }
    };

    private static java.util.Optional<String> probe() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            return java.util.Optional.of("no usable Docker: container suites skipped "
                    + "(CI sets CI_REQUIRE_DOCKER=1 to make this an error)");
        }
        for (final DockerImageName image : ALL) {
            if (!present(image)) {
                return java.util.Optional.of(image + " not built (deploy/images/build-*.sh): container suites skipped");
            }
        }
        return java.util.Optional.empty();
    }

    private static String setting(final String property, final String env, final String fallback) {
        final String p = System.getProperty(property);
        if (p != null && !p.isBlank()) {
            return p;
        }
        final String e = System.getenv(env);
        return e != null && !e.isBlank() ? e : fallback;
    }

    /**
     * A file for a container of our image, owned by the image's user and owner-only (0600), in a folder owned by
     * that user (0700, created if absent): how the roles keep their secrets and state. Copied files are
     * otherwise owned by root, which the roles (not root) could not write next to or read when owner-only.
     */
    static Transferable ownedByCpns(final byte[] content) {
        return new Transferable() {
            @Override
            public long getSize() {
                return content.length;
            }

            @Override
            public byte[] getBytes() {
                return content;
            }

            @Override
            public int getFileMode() {
                return 0600;
            }

            @Override
            public void transferTo(final TarArchiveOutputStream tar, final String destination) {
                try {
                    final String parent = destination.substring(0, destination.lastIndexOf('/') + 1);
                    final TarArchiveEntry dir = new TarArchiveEntry(parent);
                    dir.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 | 0700);
                    dir.setIds(CPNS_UID, CPNS_UID);
                    tar.putArchiveEntry(dir);
                    tar.closeArchiveEntry();
                    final TarArchiveEntry file = new TarArchiveEntry(destination);
                    file.setSize(content.length);
                    file.setMode(TarArchiveEntry.DEFAULT_FILE_MODE & ~0777 | 0600);
                    file.setIds(CPNS_UID, CPNS_UID);
                    tar.putArchiveEntry(file);
                    tar.write(content);
                    tar.closeArchiveEntry();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
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
