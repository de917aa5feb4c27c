package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.cpnskeys.server.ServerConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns server cluster-secrets}: creates the master and nonce keys every member of a cluster shares. */
@Command(name = "cluster-secrets", mixinStandardHelpOptions = true,
        description = {"Creates master.key and nonce.key (32 random bytes each, owner-only) in a folder, and any",
                "--text-secret passwords.",
                "Copy the folder to every server of the cluster and give it as --shared-secrets."})
final class ServerClusterSecretsCommand implements Callable<Integer> {

    @Option(names = "--out", required = true, description = "Folder to create the keys in (must not hold them yet).")
    Path out;

    @Option(names = "--text-secret", paramLabel = "NAME",
            description = {"Also create NAME holding a random password (one line of text), e.g. broker-server.secret",
                    "for the servers on a standalone broker, or a database password. Repeatable."})
    List<String> textSecrets = new java.util.ArrayList<>();

    @Option(names = "--keep-existing",
            description = "If both keys exist already, keep them and succeed (for an init container run at every start).")
    boolean keepExisting;

    @Override
    public Integer call() throws Exception {
        org.cpnskeys.protocol.crypto.SecretFiles.ownerOnlyDirectory(out);
        final List<String> names = new java.util.ArrayList<>(List.of(ServerConfig.MASTER_KEY_FILE,
                ServerConfig.NONCE_KEY_FILE));
        for (final String t : textSecrets) {
            if (!t.matches("[A-Za-z0-9._-]+") || names.contains(t)) {
                throw new IllegalArgumentException("--text-secret must be a new plain file name, not " + t);
            }
            names.add(t);
        }
        if (keepExisting && names.stream().allMatch(n -> java.nio.file.Files.exists(out.resolve(n)))) {
            System.out.println("kept the existing keys in " + out);
            return 0;
        }
        for (final String name : names) {
            final Path file = out.resolve(name);
            if (java.nio.file.Files.exists(file)) {
                throw new IllegalArgumentException(file + " exists already; not overwritten");
            }
            if (textSecrets.contains(name)) {
                final byte[] raw = new byte[24];
                new java.security.SecureRandom().nextBytes(raw);
                org.cpnskeys.protocol.crypto.SecretFiles.writeNew(file, (java.util.Base64.getUrlEncoder()
                        .withoutPadding().encodeToString(raw) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } else {
                org.cpnskeys.protocol.crypto.SecretFiles.loadOrCreate(file, 32).destroy();
            }
        }
        System.out.println("created " + String.join(", ", names) + " in " + out);
        return 0;
    }
}
