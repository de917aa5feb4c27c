package org.cpnskeys.gateway.approval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.ConsentBatch;
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
 *
 * <p>With a linger ({@link #batching}), the approvals that come within it are signed together on the signer's own
 * thread, {@code cpns-consent-signer}: one Ed25519 signature over the Merkle root of the batch
 * ({@link ConsentSignature.Signer#signBatch}), so that a busy gateway signs, and the server verifies, once per batch
 * instead of once per request. Each request waits at most the linger for its receipt.
 */
public final class ConsentSigner implements AutoCloseable {
    public static final String KEY_FILE = "consent-signing.key";
    public static final String PUBLIC_FILE = "consent-signing.pub";
    /** How long the gateway collects approvals before it signs them together. */
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(2);
    private static final Logger LOG = LoggerFactory.getLogger(ConsentSigner.class);

    private final ConsentSignature.Signer signer;
    private final GatewayId gateway;
    private final String channel;
    private final Duration linger;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    private record Pending(ConsentSignature.Approval approval, CompletableFuture<ConsentReceipt> receipt) {
    }

    private ConsentSigner(final SecretBytes seed, final GatewayId gateway, final String channel,
            final Duration linger) {
        if (!ConsentReceipt.CHANNELS.contains(channel)) {
            throw new IllegalArgumentException("approval channel must be one of " + ConsentReceipt.CHANNELS);
        }
        this.signer = new ConsentSignature.Signer(seed);
        seed.destroy();
        this.gateway = gateway;
        this.channel = channel;
        this.linger = linger;
        if (linger.isZero()) {
            thread = null;
        } else {
            thread = new Thread(this::run, "cpns-consent-signer");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * The gateway's consent key in {@code dir} (made there if missing), signing for {@code channel}, each receipt
     * alone on the caller's thread. Blocking.
     */
    public static ConsentSigner loadOrCreate(final Path dir, final GatewayId gateway, final String channel)
            throws IOException {
        return batching(dir, gateway, channel, Duration.ZERO);
    }

    /**
     * {@link #loadOrCreate}, the receipts signed in batches of the approvals that come within {@code linger} (zero:
     * each alone, on the caller's thread). Blocking.
     */
    public static ConsentSigner batching(final Path dir, final GatewayId gateway, final String channel,
            final Duration linger) throws IOException {
        final SecretBytes seed = SecretFiles.loadOrCreate(dir.resolve(KEY_FILE), ConsentSignature.SEED_BYTES);
        final Path pub = dir.resolve(PUBLIC_FILE);
        final byte[] text = (ConsentSignature.publicKeyText(ConsentSignature.publicKey(seed)) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        if (!Files.exists(pub) || !java.util.Arrays.equals(Files.readAllBytes(pub), text)) {
            SecretFiles.writePublicAtomically(pub, text);
        }
        LOG.info("consent receipts are signed ({} approval); the public key is in {} (register it once: cpns server"
                + " add-gateway --id {} --consent-key {})", channel, pub, gateway, pub);
        return new ConsentSigner(seed, gateway, channel, linger);
    }

    /** The channel a gateway's approvals come through: its page, its console, or else rules set in advance. */
    public static String channelOf(final ApprovalService approval, final boolean page) {
        return page ? "page" : approval instanceof ConsoleApproval ? "console" : "rule";
    }

    /**
     * The receipt of {@code user}'s approval of the request, given at {@code approvedAt}: at once without a linger,
     * else on the signer's thread within the linger (and the signature's time).
     */
    public CompletableFuture<ConsentReceipt> sign(final RequestId request, final EntityId entity, final UserId user,
            final Optional<String> device, final Instant approvedAt) {
        final ConsentSignature.Approval approval = new ConsentSignature.Approval(gateway, request, entity, user,
                channel, device, approvedAt);
        if (thread == null) {
            try {
                return CompletableFuture.completedFuture(signer.signBatch(List.of(approval)).get(0));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        final CompletableFuture<ConsentReceipt> receipt = new CompletableFuture<>();
        // under the lock close() sets the flag with: an approval is either queued before the signer's thread sees
        // the flag (and drains the queue, failing it) or refused here; none is left waiting
        synchronized (queue) {
            if (closed) {
                receipt.completeExceptionally(new IllegalStateException("the consent signer is closed"));
            } else {
                queue.add(new Pending(approval, receipt));
            }
        }
        return receipt;
    }

    private void run() {
        final List<Pending> batch = new ArrayList<>();
        while (!closed) {
            try {
                final Pending first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                final long end = System.nanoTime() + linger.toNanos();
                long left;
                while (batch.size() < ConsentBatch.MAX_SIZE && (left = end - System.nanoTime()) > 0) {
                    final Pending next = queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                signAll(batch);
            } catch (InterruptedException e) {
                batch.forEach(p -> p.receipt().completeExceptionally(
                        new IllegalStateException("the consent signer is closed")));
                break;
            } finally {
                batch.clear();
            }
        }
        final List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(p -> p.receipt().completeExceptionally(new IllegalStateException("the consent signer is closed")));
    }

    private void signAll(final List<Pending> batch) {
        try {
            final List<ConsentReceipt> receipts = signer.signBatch(batch.stream().map(Pending::approval).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).receipt().complete(receipts.get(i));
            }
        } catch (RuntimeException e) {
            LOG.error("consent receipts not signed: {}", e.toString());
            batch.forEach(p -> p.receipt().completeExceptionally(e));
        }
    }

    /** Stops the signer's thread; what waits for a receipt fails. */
    @Override
    public void close() {
        synchronized (queue) {
            closed = true;
        }
        if (thread != null) {
            thread.interrupt();
        }
    }
}
