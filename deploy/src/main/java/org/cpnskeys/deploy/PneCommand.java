package org.cpnskeys.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;

import org.cpnskeys.pne.ConsoleLoginPrompt;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneConfig;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cpns pne}: one PNE asks for its EUKey and stores it. */
@Command(name = "pne", mixinStandardHelpOptions = true,
        description = {"Runs a PNE once: sends its Key Request to the gateway over mutual TLS (as proxy request",
                "unless --ui), waits, and stores the EUKey in a PKCS#12 file. Exits 0 when the key is stored."})
public final class PneCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    LogOptions logging = new LogOptions();

    @picocli.CommandLine.Mixin
    TracingOptions tracingOptions = new TracingOptions();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--entity", required = true, description = "The PNE's Entity ID (the CN of its PAN certificate).")
    String entity;

    @Option(names = "--identity", required = true, description = "The PNE's PAN identity (.p12 from 'cpns gateway enroll').")
    Path identity;

    @Option(names = "--identity-password-file", description = "Password of the identity (default: <identity>.pass).")
    Path identityPasswordFile;

    @Option(names = "--ca", required = true, description = "The gateway's PAN CA certificate (pan-ca.pem).")
    Path ca;

    @Option(names = "--host", defaultValue = "${env:CPNS_PAN_HOST:-localhost}", description = "Gateway PAN host (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:CPNS_PAN_PORT:-8883}", description = "Gateway PAN TLS port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--ui", description = "This PNE has a UI: the user types ID and password here (R1).")
    boolean ui;

    @Option(names = "--user", description = "With --ui: the User ID (asked if absent).")
    String user;

    @Option(names = "--realm", description = "With --ui: the only digest realm to answer (the server's realm, as in"
            + " the gateway's add-gateway file); a challenge for any other realm is refused.")
    String realm;

    @Option(names = "--description", description = "What the device says about itself, shown on the gateway.")
    String description;

    @Option(names = "--keystore", description = "Where to store the EUKey (default: <entity>-eukey.p12).")
    Path keystore;

    @Option(names = "--keystore-password-file", description = "Password of the EUKey store (default: identity's password).")
    Path keystorePasswordFile;

    @Option(names = "--release", description = "With --ui: release this PNE's EUKey at the CPNS Server (its owner"
            + " frees it, e.g. before a reset or a change of owner) and delete the stored key, instead of asking for one.")
    boolean release;

    /** Opens the identity once before connecting, so that a wrong password is said in words, not by the TLS client. */
    private void openIdentity(final byte[] file, final String password) {
        try {
            java.security.KeyStore.getInstance("PKCS12").load(new java.io.ByteArrayInputStream(file), password.toCharArray());
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new CliException("cannot open --identity " + identity + ": not a PKCS#12 file, or not its password",
                    "the password is in --identity-password-file (default " + identity + ".pass), as 'cpns gateway"
                            + " enroll' wrote it", e);
        }
    }

    @Override
    public Integer call() throws Exception {
        final EntityId e;
        try {
            e = EntityId.of(entity);
        } catch (IllegalArgumentException bad) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--entity: " + bad.getMessage(), bad);
        }
        if (release && !ui) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--release is for a PNE with UI (--ui): a PNE without UI is released by its user on the gateway"
                            + " ('cpns gateway release --entity " + e.value() + "' or the approval page)");
        }
        if (realm != null && !ui) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--realm is for a PNE with UI (--ui): a PNE without UI answers no challenge");
        }
        if (realm != null && !realm.matches("[\\x20-\\x7e&&[^\"\\\\:]]{1,64}")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--realm must be 1-64 printable ASCII characters other than '\"', '\\' and ':'");
        }
        final byte[] identityFile = Cli.readFile(identity, "--identity");
        final byte[] caFile = Cli.readFile(ca, "--ca");
        final String idPassword = Cli.readSecret(identityPasswordFile != null ? identityPasswordFile
                : Path.of(identity + ".pass"), "the identity password (--identity-password-file, default <identity>.pass)");
        final String storePassword = keystorePasswordFile == null ? idPassword
                : Cli.readSecret(keystorePasswordFile, "the keystore password (--keystore-password-file)");
        openIdentity(identityFile, idPassword);
        final MqttEndpoint pan = MqttEndpoint.tls(host, port, new PemTrustOptions().addCertValue(Buffer.buffer(caFile)),
                Optional.of(new PfxOptions().setValue(Buffer.buffer(identityFile)).setPassword(idPassword)),
                true, Optional.empty(), Optional.empty());
        final Vertx vertx = Cli.newVertx();
        final TracingOptions.Opened tracing = tracingOptions.open("pne");
        try {
            final Optional<LoginPrompt> login;
            if (ui) {
                final ConsoleLoginPrompt console = ConsoleLoginPrompt.system(vertx);
                login = Optional.of(user == null ? console : new LoginPrompt() {
                    @Override
                    public io.vertx.core.Future<UserId> userId() {
                        return io.vertx.core.Future.succeededFuture(UserId.of(user));
                    }

                    @Override
                    public io.vertx.core.Future<char[]> password(final String realm) {
                        return console.password(realm);
                    }
                });
            } else {
                login = Optional.empty();
            }
            final PneConfig config = new PneConfig(e, pan, login,
                    keystore != null ? keystore : Path.of(e.value() + "-eukey.p12"), storePassword.toCharArray(),
                    Duration.ofSeconds(5), 4, Optional.ofNullable(description), Optional.ofNullable(realm));
            if (release) {
                final PneOutcome o = Cli.await(PneApplication.releaseKey(vertx, config), "the Key Release");
                if (o.status() == org.cpnskeys.protocol.Status.OK) {
                    System.out.println("released " + e + ": its EUKey is deleted from " + config.keyStore());
                    return 0;
                }
                System.err.println("not released: " + o.status() + " " + o.reason());
                return 1;
            }
            final PneOutcome o = Cli.await(PneApplication.requestKey(vertx, config, tracing.tracing()), "the Key Request");
            if (o.stored()) {
                System.out.println("EUKey " + o.keyId().get() + " stored in " + config.keyStore() + " (check value "
                        + o.keyCheckValue().get() + ")");
                return 0;
            }
            System.err.println("no EUKey: " + o.status() + " " + o.reason());
            return 1;
        } finally {
            tracing.close();
            vertx.close();
        }
    }
}
