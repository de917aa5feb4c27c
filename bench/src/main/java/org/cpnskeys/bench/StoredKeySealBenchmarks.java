package org.cpnskeys.bench;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyId;
import org.cpnskeys.protocol.RequestId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.SecretBytes;
import org.cpnskeys.server.seal.KeyBinding;
import org.cpnskeys.server.seal.MasterKeySeal;
import org.cpnskeys.server.seal.SealSet;
import org.cpnskeys.server.seal.StoredKeySealer;
import org.cpnskeys.server.store.KeyState;
import org.cpnskeys.server.store.StoredKey;
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
 * The server's master-key seal of a stored EUKey per assignment (one seal when it is created, one open when it is
 * delivered): seal 2 (associated data binding five fields) against seal 1 (entity and Key ID), and one re-seal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StoredKeySealBenchmarks {
    private final KeyBinding binding = new KeyBinding(EntityId.of("bench-pne-0001"),
            KeyId.of("0123456789abcdef0123456789abcdef"), UserId.of("alice"),
            RequestId.of("4f1c9d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f"), GatewayId.of("home-gw"));
    private SecretBytes masterKey;
    private SecretBytes euKey;
    private StoredKeySealer v2;
    private StoredKeySealer v1;
    private StoredKey sealedV2;
    private StoredKey sealedV1;

    @Setup
    public void setUp() {
        final byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        masterKey = SecretBytes.copyOf(k);
        new SecureRandom().nextBytes(k);
        euKey = SecretBytes.copyOf(k);
        v2 = new StoredKeySealer(SealSet.masterKeyFile(masterKey), StoredKeySealer.Listener.NONE);
        v1 = new StoredKeySealer(new SealSet(MasterKeySeal.v1(masterKey), List.of()), StoredKeySealer.Listener.NONE);
        sealedV2 = v2.seal(euKey, binding, true, Instant.EPOCH).stored(KeyState.ACTIVE);
        sealedV1 = v1.seal(euKey, binding, true, Instant.EPOCH).stored(KeyState.ACTIVE);
    }

    /** Seal 2: what an assignment pays now. */
    @Benchmark
    public SecretBytes sealAndOpenV2() {
        v2.seal(euKey, binding, true, Instant.EPOCH);
        return v2.open(sealedV2);
    }

    /** Seal 1: what an assignment paid before. */
    @Benchmark
    public SecretBytes sealAndOpenV1() {
        v1.seal(euKey, binding, true, Instant.EPOCH);
        return v1.open(sealedV1);
    }

    /** Seal 2's associated data alone. */
    @Benchmark
    public byte[] aadV2() {
        return binding.aadV2();
    }
}
