package org.cpnskeys.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes HiveMQ's {@code config.xml} for a {@link BrokerConfig}. */
final class HiveMqConfigXml {
    static final String FILE_NAME = "config.xml";

    private HiveMqConfigXml() {
    }

    /** The XML text; it holds the key store passwords, so it goes to an owner-only file and is never logged. */
    static String render(final BrokerConfig config) {
        final StringBuilder xml = new StringBuilder(2048);
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append("<!-- Written by cpns-broker at every start; edits are overwritten. -->\n");
        xml.append("<hivemq>\n");
        xml.append("  <listeners>\n");
        config.tcp().ifPresent(tcp -> {
            xml.append("    <tcp-listener>\n");
            xml.append("      <port>").append(tcp.port()).append("</port>\n");
            xml.append("      <bind-address>").append(escape(tcp.bindAddress())).append("</bind-address>\n");
            xml.append("    </tcp-listener>\n");
        });
        config.tls().ifPresent(tls -> {
            xml.append("    <tls-tcp-listener>\n");
            xml.append("      <port>").append(tls.port()).append("</port>\n");
            xml.append("      <bind-address>").append(escape(tls.bindAddress())).append("</bind-address>\n");
            xml.append("      <tls>\n");
            xml.append("        <protocols>\n");
            xml.append("          <protocol>TLSv1.3</protocol>\n");
            xml.append("          <protocol>TLSv1.2</protocol>\n");
            xml.append("        </protocols>\n");
            xml.append("        <keystore>\n");
            xml.append("          <path>").append(escape(tls.keyStore().toString())).append("</path>\n");
            xml.append("          <password>").append(escape(tls.keyStorePassword())).append("</password>\n");
            xml.append("          <private-key-password>").append(escape(tls.privateKeyPassword()))
                    .append("</private-key-password>\n");
            xml.append("        </keystore>\n");
            tls.trustStoreFile().ifPresent(trustStore -> {
                xml.append("        <truststore>\n");
                xml.append("          <path>").append(escape(trustStore.toString())).append("</path>\n");
                xml.append("          <password>").append(escape(tls.trustStorePassword())).append("</password>\n");
                xml.append("        </truststore>\n");
            });
            xml.append("        <client-authentication-mode>").append(tls.clientAuthenticationMode())
                    .append("</client-authentication-mode>\n");
            xml.append("      </tls>\n");
            xml.append("    </tls-tcp-listener>\n");
        });
        xml.append("  </listeners>\n");
        xml.append("  <mqtt>\n");
        xml.append("    <queued-messages>\n");
        xml.append("      <max-queue-size>").append(config.maxQueueSize()).append("</max-queue-size>\n");
        xml.append("    </queued-messages>\n");
        xml.append("    <packets>\n");
        xml.append("      <max-packet-size>").append(config.maxPacketSizeBytes()).append("</max-packet-size>\n");
        xml.append("    </packets>\n");
        xml.append("    <receive-maximum>\n");
        xml.append("      <server-receive-maximum>").append(config.maxInflightPerClient())
                .append("</server-receive-maximum>\n");
        xml.append("    </receive-maximum>\n");
        xml.append("  </mqtt>\n");
        xml.append("  <anonymous-usage-statistics>\n");
        xml.append("    <enabled>false</enabled>\n");
        xml.append("  </anonymous-usage-statistics>\n");
        xml.append("  <persistence>\n");
        xml.append("    <mode>in-memory</mode>\n");
        xml.append("  </persistence>\n");
        xml.append("</hivemq>\n");
        return xml.toString();
    }

    /** Writes {@code conf/config.xml} with owner-only permissions (where the file system has POSIX permissions). */
    static Path write(final BrokerConfig config) throws IOException {
        final Path folder = config.confFolder();
        Files.createDirectories(folder);
        final Path target = folder.resolve(FILE_NAME);
        final Path temp = folder.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(temp);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(temp);
        }
        Files.writeString(temp, render(config), StandardCharsets.UTF_8);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    static String escape(final String text) {
        final StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '&':
                    out.append("&amp;");
                    break;
                case '<':
                    out.append("&lt;");
                    break;
                case '>':
                    out.append("&gt;");
                    break;
                case '"':
                    out.append("&quot;");
                    break;
                case '\'':
                    out.append("&apos;");
                    break;
                default:
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        throw new IllegalArgumentException("control character in broker configuration value");
                    }
                    out.append(c);
            }
        }
        return out.toString();
    }
}
