package org.cpnskeys.protocol.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import org.cpnskeys.protocol.ConsentBatch;
import org.cpnskeys.protocol.ConsentReceipt;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;

/**
 * Ed25519 (RFC 8032) signatures of {@link ConsentReceipt}s, on BouncyCastle's lightweight API: the gateway keeps
 * its consent key as the RFC's 32-byte private seed in an owner-only file (as every other secret of the project,
 * {@link SecretFiles}), and BouncyCastle derives the public key from the seed, which the JDK's Ed25519 API does
 * not expose; it is a dependency already. The public key travels as its 32 raw bytes in standard base64.
 *
 * <p>The signed bytes: the ASCII tag {@code CPNS-CONSENT-1}, then gateway ID, request ID, entity ID, user ID,
 * channel and device (empty when absent), each as a 4-byte big-endian length and its UTF-8 bytes, then
 * {@code approvedAt} as 8-byte big-endian milliseconds since the epoch. Length prefixes make the encoding
 * unambiguous whatever the fields hold.
 *
 * <p>A batch of receipts may share one signature ({@link ConsentBatch}): each receipt's canonical bytes are a leaf
 * of a Merkle tree ({@link MerkleTree}, RFC 9162), and the signature covers the ASCII tag
 * {@code CPNS-CONSENT-BATCH-1}, the batch size as a 4-byte big-endian integer and the tree's 32-byte root. The
 * distinct tags keep a batch signature from ever verifying a lone receipt, and the other way round.
 */
public final class ConsentSignature {
    private static final byte[] TAG = "CPNS-CONSENT-1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BATCH_TAG = "CPNS-CONSENT-BATCH-1".getBytes(StandardCharsets.US_ASCII);
    public static final int PUBLIC_KEY_BYTES = 32;
    public static final int SEED_BYTES = 32;

    private ConsentSignature() {
    }

    /** The canonical bytes a receipt's signature covers. */
    public static byte[] signedBytes(final GatewayId gateway, final RequestId request, final EntityId entity,
            final UserId user, final String channel, final Optional<String> device, final Instant approvedAt) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(TAG);
        for (final String field : new String[] {gateway.value(), request.value(), entity.value(), user.value(), channel,
                device.orElse("")}) {
            final byte[] b = field.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        out.writeBytes(ByteBuffer.allocate(8).putLong(approvedAt.toEpochMilli()).array());
        return out.toByteArray();
    }

    /** A receipt for these fields signed with the private seed (approvedAt is cut to milliseconds). */
    public static ConsentReceipt sign(final SecretBytes seed, final GatewayId gateway, final RequestId request,
            final EntityId entity, final UserId user, final String channel, final Optional<String> device,
            final Instant approvedAt) {
        return new Signer(seed).sign(gateway, request, entity, user, channel, device, approvedAt);
    }

    /** The Ed25519 signature of {@code message} with the private seed (RFC 8032 section 5.1.6). */
    static byte[] signRaw(final SecretBytes seed, final byte[] message) {
        return new Signer(seed).signRaw(message);
    }

    /** One approval a receipt is to be signed for. */
    public record Approval(GatewayId gateway, RequestId request, EntityId entity, UserId user, String channel,
            Optional<String> device, Instant approvedAt) {
        /** approvedAt cut to milliseconds, as the receipt holds it. */
        Instant at() {
            return Instant.ofEpochMilli(approvedAt.toEpochMilli());
        }
    }

    /**
     * A private key ready to sign many receipts: the public key, which each Ed25519 signature needs, is derived
     * once (one scalar multiplication fewer per receipt: about 30 instead of 60 microseconds here). BouncyCastle
     * keeps its copy of the seed for as long as the signer lives; it has no way to erase it.
     */
    public static final class Signer {
        private final Ed25519PrivateKeyParameters key;

        /** A signer for this seed; the caller keeps (and destroys) its own copy. */
        public Signer(final SecretBytes seed) {
            final byte[] raw = seed.reveal();
            try {
                key = new Ed25519PrivateKeyParameters(raw, 0);
                key.generatePublicKey(); // derived now, and kept by the key for each signature
            } finally {
                java.util.Arrays.fill(raw, (byte) 0);
            }
        }

        /** A receipt for these fields (approvedAt is cut to milliseconds). Thread-safe. */
        public ConsentReceipt sign(final GatewayId gateway, final RequestId request, final EntityId entity,
                final UserId user, final String channel, final Optional<String> device, final Instant approvedAt) {
            final Instant at = Instant.ofEpochMilli(approvedAt.toEpochMilli());
            return new ConsentReceipt(gateway, request, entity, user, channel, device, at,
                    signRaw(signedBytes(gateway, request, entity, user, channel, device, at)));
        }

        /**
         * Receipts for these approvals under one signature: a batch of one is a receipt signed alone; more get a
         * {@link ConsentBatch} each (the Merkle root of all, in this order, is what is signed). Thread-safe.
         */
        public java.util.List<ConsentReceipt> signBatch(final java.util.List<Approval> approvals) {
            if (approvals.isEmpty()) {
                return java.util.List.of();
            }
            if (approvals.size() == 1) {
                final Approval a = approvals.get(0);
                return java.util.List.of(sign(a.gateway(), a.request(), a.entity(), a.user(), a.channel(), a.device(),
                        a.approvedAt()));
            }
            if (approvals.size() > ConsentBatch.MAX_SIZE) {
                throw new IllegalArgumentException("at most " + ConsentBatch.MAX_SIZE + " receipts per batch");
            }
            final java.util.List<byte[]> leaves = new java.util.ArrayList<>(approvals.size());
            for (final Approval a : approvals) {
                leaves.add(MerkleTree.leafHash(signedBytes(a.gateway(), a.request(), a.entity(), a.user(), a.channel(),
                        a.device(), a.at())));
            }
            final MerkleTree.Proofs tree = MerkleTree.proofs(leaves);
            final byte[] signature = signRaw(batchSignedBytes(approvals.size(), tree.root()));
            final java.util.List<ConsentReceipt> out = new java.util.ArrayList<>(approvals.size());
            for (int i = 0; i < approvals.size(); i++) {
                final Approval a = approvals.get(i);
                out.add(new ConsentReceipt(a.gateway(), a.request(), a.entity(), a.user(), a.channel(), a.device(),
                        a.at(), signature, Optional.of(new ConsentBatch(i, approvals.size(),
                                tree.paths().get(i)))));
            }
            return out;
        }

        byte[] signRaw(final byte[] message) {
            final Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, key);
            signer.update(message, 0, message.length);
            return signer.generateSignature();
        }
    }

    /** Whether the receipt's signature verifies under the public key (32 raw bytes); false for a key off the curve. */
    public static boolean verify(final ConsentReceipt r, final byte[] publicKey) {
        final byte[] message = signedMessage(r);
        return message != null && verifyRaw(publicKey, message, r.signature());
    }

    /** What the receipt's signature covers: its own bytes, or its batch's size and root; null for a broken path. */
    static byte[] signedMessage(final ConsentReceipt r) {
        final byte[] own = signedBytes(r.gatewayId(), r.requestId(), r.entityId(), r.userId(), r.channel(),
                r.device(), r.approvedAt());
        if (r.batch().isEmpty()) {
            return own;
        }
        final ConsentBatch b = r.batch().get();
        final byte[] root = MerkleTree.rootFromPath(b.index(), b.size(), MerkleTree.leafHash(own), b.path());
        return root == null ? null : batchSignedBytes(b.size(), root);
    }

    /** The bytes a batch's signature covers. */
    static byte[] batchSignedBytes(final int size, final byte[] root) {
        final ByteBuffer b = ByteBuffer.allocate(BATCH_TAG.length + 4 + root.length);
        return b.put(BATCH_TAG).putInt(size).put(root).array();
    }

    private static boolean verifyRaw(final byte[] publicKey, final byte[] message, final byte[] signature) {
        if (publicKey.length != PUBLIC_KEY_BYTES) {
            return false;
        }
        try {
            final Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (IllegalArgumentException e) {
            return false; // 32 bytes that are no point of the curve: nothing verifies under them
        }
    }

    /**
     * {@link ConsentSignature#verify} that remembers the batch signatures it found good, so that the receipts of one
     * batch cost one Ed25519 verification between them (the others a few SHA-256 hashes each). Remembers what was
     * verified (public key, signed message, signature), never a guess; at most {@code capacity} entries, the least
     * recently used go first. Thread-safe.
     */
    public static final class Verifier {
        private final int capacity;
        private final java.util.Map<String, Boolean> good;

        public Verifier(final int capacity) {
            this.capacity = capacity;
            this.good = new java.util.LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(final java.util.Map.Entry<String, Boolean> eldest) {
                    return size() > Verifier.this.capacity;
                }
            };
        }

        /** Whether the receipt's signature verifies under the public key. */
        public boolean verify(final ConsentReceipt r, final byte[] publicKey) {
            final byte[] message = signedMessage(r);
            if (message == null) {
                return false;
            }
            if (r.batch().isEmpty()) {
                return verifyRaw(publicKey, message, r.signature());
            }
            final String key = memo(publicKey, message, r.signature());
            synchronized (good) {
                if (good.containsKey(key)) {
                    return true;
                }
            }
            if (!verifyRaw(publicKey, message, r.signature())) {
                return false;
            }
            synchronized (good) {
                good.put(key, Boolean.TRUE);
            }
            return true;
        }

        /**
         * Whether {@link #verify} would find the receipt's batch signature among those it found good (no Ed25519
         * work: the signed bytes from the receipt's path, then a look-up); false for a receipt signed alone.
         */
        public boolean remembers(final ConsentReceipt r, final byte[] publicKey) {
            final byte[] message = r.batch().isEmpty() ? null : signedMessage(r);
            if (message == null) {
                return false;
            }
            final String key = memo(publicKey, message, r.signature());
            synchronized (good) {
                return good.containsKey(key);
            }
        }

        private static String memo(final byte[] publicKey, final byte[] message, final byte[] signature) {
            final Base64.Encoder b64 = Base64.getEncoder();
            return b64.encodeToString(publicKey) + ' ' + b64.encodeToString(message) + ' ' + b64.encodeToString(signature);
        }
    }

    /** The public key (32 raw bytes) of a private seed. */
    public static byte[] publicKey(final SecretBytes seed) {
        final byte[] raw = seed.reveal();
        try {
            return new Ed25519PrivateKeyParameters(raw, 0).generatePublicKey().getEncoded();
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    /** A public key as text: standard base64 of its 32 bytes. */
    public static String publicKeyText(final byte[] publicKey) {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /** Parses {@link #publicKeyText}; fails with a message naming {@code what}. */
    public static byte[] parsePublicKey(final String text, final String what) {
        final byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64");
        }
        if (raw.length != PUBLIC_KEY_BYTES) {
            throw new IllegalArgumentException(what + " is not an Ed25519 public key (" + PUBLIC_KEY_BYTES
                    + " bytes in base64)");
        }
        return raw;
    }
}
