package org.cpnskeys.deploy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

import org.cpnskeys.gateway.credentials.GatewayCredentials;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cpns gateway credentials}: stores the user's ID and HA1 on the gateway (F0). */
@Command(name = "credentials", mixinStandardHelpOptions = true,
        description = {"Configures the CPNS User's ID and password on this gateway (seed step 0). Only HA1 is",
                "stored; the password is asked on the terminal, read from standard input, or from --password-file."})
final class GatewayCredentialsCommand implements Callable<Integer> {
    @Mixin
    GatewayDataOptions gateway = new GatewayDataOptions();

    @Option(names = "--user", required = true, description = "User ID.")
    String user;

    @Option(names = "--realm", defaultValue = "${env:CPNS_REALM:-cpns}", description = "Digest realm (default ${DEFAULT-VALUE}).")
    String realm;

    @Option(names = "--cloud-config", defaultValue = "${env:CPNS_CLOUD_CONFIG}",
            description = "Take the realm from the gateway file of 'cpns server add-gateway --out' (the server's).")
    Path cloudConfig;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--password-file",
            description = "Read the password from the first line of this file (a container's mounted secret).")
    Path passwordFile;

    @Override
    public Integer call() throws Exception {
        if (cloudConfig != null) {
            final String serverRealm = GatewayEnrolmentFile.read(cloudConfig).realm();
            if (spec.commandLine().getParseResult().hasMatchedOption("--realm") && !serverRealm.equals(realm)) {
                System.err.println("--realm " + realm + " differs from the server's realm " + serverRealm + " in "
                        + cloudConfig + ": drop --realm");
                return 2;
            }
            realm = serverRealm;
        }
        final char[] password;
        if (passwordFile != null) {
            password = Cli.readSecret(passwordFile, "the password (--password-file)").toCharArray();
        } else if (System.console() != null) {
            password = System.console().readPassword("Password of %s: ", user);
        } else {
            final String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
        }
        if (password == null || password.length == 0) {
            System.err.println("no password given");
            return 2;
        }
        try {
            GatewayCredentials.open(SecretFiles.ownerOnlyDirectory(gateway.data).resolve("credentials"))
                    .set(UserId.of(user), realm, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        System.out.println("credentials of " + user + " stored (HA1 only)");
        return 0;
    }
}
