package org.cpnskeys.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.WrappedKey;
import org.cpnskeys.protocol.crypto.CachingKeyPair;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.EuKeyWrap;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.protocol.crypto.X25519;
import org.cpnskeys.protocol.crypto.X25519PublicKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-assignment work outside the brokers and the store: codec, digest answer, KEK derivation + GCM, and
 * protocol v2's X25519 agreement, both as paid once per nonce / rotation window ({@code x25519GenerateAndAgree})
 * and as paid by every assignment in steady state (a cached shared secret: {@code sharedSecretCacheHit}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CryptoBenchmarks {
    private final MessageCodec codec = new MessageCodec();
    private final EntityId entity = EntityId.of("bench-pne-0001");
    private final UserId user = UserId.of("alice");
    private final RequestId request = RequestId.of("4f1c9d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f");
    private final KeyId keyId = KeyId.of("0123456789abcdef0123456789abcdef");
    private byte[] keyRequestJson;
    private Ha1 ha1;
    private SecretBytes euKey;
    private EuKeyWrap.Context context;
    private WrappedKey wrapped;
    private KeyDelivery delivery;
    private SecretBytes shared;
    private CachingKeyPair requesterKeys;
    private X25519PublicKey serverEpk;
    private X25519PublicKey requesterEpk;
    private io.vertx.core.Vertx vertx;
    private org.cpnskeys.server.KeyAgreementCache serverAgreements;

    @Setup
    public void setUp() {
        ha1 = DigestClient.ha1("alice", "cpns", "correct horse battery staple".toCharArray());
        final String nonce = "AAAAAGdVxYQ3q9x0m1c8w2Yc8fZ5x5bDwH0l1o0x6m8jY2k";
        final String nc = "0000002a";
        final String cnonce = "Zm9vYmFyYmF6cXV4";
        requesterKeys = CachingKeyPair.generate();
        requesterEpk = requesterKeys.publicKey();
        final X25519.EphemeralKeyPair server = X25519.generate();
        serverEpk = server.publicKey();
        try {
            shared = requesterKeys.sharedWith(serverEpk);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        keyRequestJson = codec.encode(DigestClient.answer(KeyRequest.proxy(request, entity, Optional.empty())
                .withUser(user), "alice", ha1, "cpns", requesterEpk, nonce, nc, cnonce)).getBytes();
        euKey = SecretBytes.copyOf("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        context = new EuKeyWrap.Context(nonce, cnonce, entity, user, request, keyId, requesterEpk, serverEpk);
        wrapped = EuKeyWrap.wrap(euKey, ha1, shared, context);
        vertx = io.vertx.core.Vertx.vertx();
        serverAgreements = new org.cpnskeys.server.KeyAgreementCache(vertx, java.time.Duration.ofHours(1), 10_000,
                java.time.Clock.systemUTC());
        serverAgreements.agree(requesterEpk).await();
        delivery = KeyDelivery.wrapped(request, entity, user, keyId, wrapped);
    }

    /** Decoding a Key Request with its digest answer, as the server does for every request. */
    @Benchmark
    public Object codecDecodeKeyRequest() {
        return codec.decode(Buffer.buffer(keyRequestJson));
    }

    /** Encoding a Key Delivery with a wrapped key. */
    @Benchmark
    public Object codecEncodeKeyDelivery() {
        return codec.encode(delivery);
    }

    /** The digest response (RFC 2617, MD5): what the gateway computes and the server recomputes to verify. */
    @Benchmark
    public String digestResponse() {
        return DigestClient.keyRequestResponse(ha1, entity, request, requesterEpk,
                "AAAAAGdVxYQ3q9x0m1c8w2Yc8fZ5x5bDwH0l1o0x6m8jY2k", "0000002a", "Zm9vYmFyYmF6cXV4");
    }

    /** The server's side of key wrapping: HKDF-SHA256 KEK derivation and AES-256-GCM seal. */
    @Benchmark
    public WrappedKey kekAndSeal() {
        return EuKeyWrap.wrap(euKey, ha1, shared, context);
    }

    /** The gateway's side: KEK derivation and AES-256-GCM open with tag check. */
    @Benchmark
    public SecretBytes kekAndOpen() throws GeneralSecurityException {
        return EuKeyWrap.unwrap(wrapped, ha1, shared, context);
    }

    /** What every assignment pays for v2's key agreement in steady state: a cached shared secret, copied. */
    @Benchmark
    public SecretBytes sharedSecretCacheHit() throws GeneralSecurityException {
        try (SecretBytes s = requesterKeys.sharedWith(serverEpk)) {
            return s;
        }
    }

    /** The server's side of the same: the window's cached secret for the requester's epk (a map look-up). */
    @Benchmark
    public SecretBytes serverAgreementCacheHit() {
        try (SecretBytes s = serverAgreements.agree(requesterEpk).result().shared()) {
            return s;
        }
    }

    @org.openjdk.jmh.annotations.TearDown
    public void tearDown() {
        vertx.close().await();
    }

    /** What one side pays once per nonce (gateway) or per window and requester (server): key generation + agreement. */
    @Benchmark
    public SecretBytes x25519GenerateAndAgree() throws GeneralSecurityException {
        try (X25519.EphemeralKeyPair k = X25519.generate()) {
            return k.agree(serverEpk);
        }
    }
}
