package org.cpnskeys.gateway.approval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.ConsentSignature;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.SecretFiles;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs the gateway's consent receipts ([L] 3): after the user approved a Key Request, a receipt naming the user,
 * the approval channel, the PNE's certificate, the request and the time, signed with the gateway's Ed25519 consent
 * key. The key is made at first start as a 32-byte seed in {@value #KEY_FILE} (owner-only, never logged); its
 * public half is written to {@value #PUBLIC_FILE} for the operator to register with {@code cpns server add-gateway
 * --consent-key}.
 */
public final class ConsentSigner {
    public static final String KEY_FILE = "consent-signing.key";
    public static final String PUBLIC_FILE = "consent-signing.pub";
    private static final Logger LOG = LoggerFactory.getLogger(ConsentSigner.class);

    private final SecretBytes seed;
    private final GatewayId gateway;
    private final String channel;

    private ConsentSigner(final SecretBytes seed, final GatewayId gateway, final String channel) {
        if (!ConsentReceipt.CHANNELS.contains(channel)) {
            throw new IllegalArgumentException("approval channel must be one of " + ConsentReceipt.CHANNELS);
        }
        this.seed = seed;
        this.gateway = gateway;
        this.channel = channel;
    }

    /** The gateway's consent key in {@code dir} (made there if missing), signing for {@code channel}. Blocking. */
    public static ConsentSigner loadOrCreate(final Path dir, final GatewayId gateway, final String channel)
            throws IOException {
        final SecretBytes seed = SecretFiles.loadOrCreate(dir.resolve(KEY_FILE), ConsentSignature.SEED_BYTES);
        final Path pub = dir.resolve(PUBLIC_FILE);
        final byte[] text = (ConsentSignature.publicKeyText(ConsentSignature.publicKey(seed)) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        if (!Files.exists(pub) || !java.util.Arrays.equals(Files.readAllBytes(pub), text)) {
            SecretFiles.writePublicAtomically(pub, text);
        }
        LOG.info("consent receipts are signed ({} approval); the public key is in {} (register it once: cpns server"
                + " add-gateway --id {} --consent-key {})", channel, pub, gateway, pub);
        return new ConsentSigner(seed, gateway, channel);
    }

    /** The channel a gateway's approvals come through: its page, its console, or else rules set in advance. */
    public static String channelOf(final ApprovalService approval, final boolean page) {
        return page ? "page" : approval instanceof ConsoleApproval ? "console" : "rule";
    }

    /** The receipt of {@code user}'s approval of the request, given at {@code approvedAt}. */
    public ConsentReceipt sign(final RequestId request, final EntityId entity, final UserId user,
            final Optional<String> device, final Instant approvedAt) {
        return ConsentSignature.sign(seed, gateway, request, entity, user, channel, device, approvedAt);
    }
}
