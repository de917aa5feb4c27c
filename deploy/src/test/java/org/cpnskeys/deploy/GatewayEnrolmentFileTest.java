package org.cpnskeys.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.broker.CloudTls;
import org.cpnskeys.protocol.mqtt.MqttEndpoint;
import org.cpnskeys.server.GatewayRegistry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/**
 * The one gateway file: {@code cpns server add-gateway --out} writes everything the gateway needs, owner-only,
 * and {@code cpns gateway --cloud-config} learns its ID, token, cloud CA, realm and broker address from it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayEnrolmentFileTest {
    @TempDir
    Path dir;

    @Test
    void addGateway_out_writesOneOwnerOnlyFileTheGatewayResolves() throws Exception {
        final Path data = dir.resolve("server");
        final Path file = dir.resolve("home-gw.cpns");
        assertEquals(0, Cpns.commandLine().execute("server", "add-gateway", "--data", data.toString(), "--id", "home-gw",
                "--out", file.toString(), "--realm", "realm-42", "--cloud-host", "localhost", "--cloud-port", "8883"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final GatewayEnrolmentFile read = GatewayEnrolmentFile.read(file);
        assertEquals("home-gw", read.gatewayId().value());
        assertEquals("realm-42", read.realm());
        assertEquals(Files.readString(data.resolve(CloudTls.CA_FOLDER).resolve(CloudTls.CA_LAYOUT.certificateFile())),
                read.cloudCaPem(), "the CA is the server's cloud CA");
        assertTrue(GatewayRegistry.open(data.resolve("gateways"))
                .verify("home-gw", read.token().orElseThrow().getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                "the token in the file is the registered one");
        assertFalse(read.toString().contains(read.token().get()), "toString never shows the token");

        final GatewayCloudOptions options = new GatewayCloudOptions();
        new CommandLine(options).parseArgs("--cloud-config", file.toString());
        final GatewayCloudOptions.Resolved link = options.resolve("ignored-default", false, "cpns", false);
        final MqttEndpoint cloud = link.cloud();
        assertEquals("home-gw", link.gatewayId().value());
        assertEquals("realm-42", link.realm(), "the gateway uses the server's realm from the file");
        assertTrue(cloud.tls() && cloud.verifyHostname(), "TLS with host name verification");
        assertEquals("localhost", cloud.host());
        assertEquals(8883, cloud.port());

        final String before = Files.readString(file);
        assertEquals(0, Cpns.commandLine().execute("server", "add-gateway", "--data", data.toString(), "--id", "home-gw",
                "--out", file.toString()), "run again (an init container): kept");
        assertEquals(before, Files.readString(file));
    }

    @Test
    void gateway_cloudConfigWithOtherIdOrRealm_refusedSayingWhy() throws Exception {
        final Path file = dir.resolve("gw.cpns");
        assertEquals(0, Cpns.commandLine().execute("server", "add-gateway", "--data", dir.resolve("s").toString(),
                "--id", "gw-a", "--out", file.toString()));
        for (final String[] extra : new String[][] {{"--id", "gw-b"}, {"--realm", "other"}}) {
            final StringWriter err = new StringWriter();
            final CommandLine cli = Cpns.commandLine();
            cli.setErr(new PrintWriter(err));
            final int code = cli.execute("gateway", "--data", dir.resolve("g").toString(), "--cloud-config",
                    file.toString(), extra[0], extra[1], "--management-port", "-1");
            assertNotEquals(0, code);
            assertTrue(err.toString().contains("differs from"), err.toString());
        }
    }

    @Test
    void read_notAGatewayFile_refusedWithoutQuotingIt() throws Exception {
        final Path file = Files.writeString(dir.resolve("token-only"), "s3cret-token\n");
        final IOException e = assertThrows(IOException.class, () -> GatewayEnrolmentFile.read(file));
        assertTrue(e.getMessage().contains("add-gateway --out"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-token"));
    }
}
