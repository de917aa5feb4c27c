package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.datatypes.MqttQos;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.GatewayId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.KeyRequest;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.ProtocolException;
import org.cpnskeys.protocol.Status;
import org.cpnskeys.protocol.StatusReport;
import org.cpnskeys.protocol.Topics;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on every topic a client can reach (the PAN key-request topic, the cloud key-request topic):
 * hundreds of malformed, truncated, oversized, mistyped and mutated messages. Nothing crashes or sticks,
 * every malformed message gets its 400, and a valid request right afterwards still succeeds.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostileInputIT {
    @TempDir
    static Path dir;
    static Fixture f;
    static final MessageCodec CODEC = new MessageCodec();

    @BeforeAll
    static void start() {
        f = new Fixture(dir);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static List<HostileCorpus.Input> corpus(final String entity, final String valid) {
        final List<HostileCorpus.Input> all = new ArrayList<>(HostileCorpus.handWritten(entity, valid));
        all.addAll(HostileCorpus.mutations(valid, 500, 20261128L));
        return all;
    }

    /** How many inputs the protocol itself rejects as a Key Request (each must get exactly one 400). */
    private static long rejected(final List<HostileCorpus.Input> corpus, final String entity) {
        return corpus.stream().filter(i -> {
            try {
                final KeyRequest r = CODEC.decode(Buffer.buffer(i.payload()), KeyRequest.class);
                return !r.entityId().value().equals(entity);
            } catch (ProtocolException e) {
                return true;
            }
        }).count();
    }

    @Test
    @DisplayName("hostile input on the PAN: each malformed message gets 400, nothing crashes, the next valid request succeeds")
    void pan_hostileCorpus_refusedThenServes() throws Exception {
        final EntityId entity = EntityId.of("hostile-pne");
        final String valid = RecordingPne.proxyRequest(entity, "valid-base").encode();
        final List<HostileCorpus.Input> corpus = corpus(entity.value(), valid);
        final long expected400 = rejected(corpus, entity.value());
        try (RecordingPne pne = new RecordingPne(f.system, entity).connect()) {
            for (final HostileCorpus.Input i : corpus) {
                pne.send(Topics.pan(entity, Topics.KEY_REQUEST), i.payload());
            }
            pne.sendKeyRequest(RecordingPne.proxyRequest(entity, "after-hostile"));
            final JsonObject d = pne.await(Duration.ofSeconds(90), s -> s.leaf().equals("key-delivery")
                    && "after-hostile".equals(s.json().getString("requestId"))).json();
            assertEquals(200, d.getInteger("status"));
            long badRequests = 0;
            for (final RecordingPne.Seen s : pne.seen) {
                if (s.sent()) {
                    continue;
                }
                final CpnsMessage m = CODEC.decode(Buffer.buffer(s.payload()));
                assertTrue(Status.isKnown(statusOf(m)), "every answer is a protocol message with a known status");
                if (m instanceof StatusReport r && r.status() == Status.BAD_REQUEST) {
                    badRequests++;
                }
            }
            assertTrue(corpus.size() >= 500, "corpus size " + corpus.size());
            assertTrue(badRequests >= expected400, badRequests + " 400 answers for " + expected400 + " malformed inputs");
            System.out.printf("PAN hostile corpus: %d inputs, %d malformed by the codec, %d answered 400%n",
                    corpus.size(), expected400, badRequests);
        }
        assertTrue(f.runPne("hostile-after-pne", Optional.empty()).stored(), "another PNE is still served");
    }

    @Test
    @DisplayName("hostile input on the cloud: each malformed message gets 400, the server keeps serving")
    void cloud_hostileCorpus_refusedThenServes() throws Exception {
        try (CloudGatewayClient gw = new CloudGatewayClient(f.system, GatewayId.of("hostile-gw"))) {
            final EntityId entity = EntityId.of("cloud-hostile");
            final String valid = CloudGatewayClient.request(entity, "valid-base", "alice", true).encode();
            final List<HostileCorpus.Input> corpus = corpus(entity.value(), valid);
            final long expected400 = corpus.stream().filter(i -> {
                try {
                    CODEC.decode(Buffer.buffer(i.payload()), KeyRequest.class);
                    return false;
                } catch (ProtocolException e) {
                    return true;
                }
            }).count();
            for (final HostileCorpus.Input i : corpus) {
                gw.send(i.payload());
            }
            final JsonObject request = CloudGatewayClient.request(EntityId.of("cloud-after"), "after-1", "alice", true);
            gw.send(request);
            final CloudGatewayClient.Reply c = gw.await(r -> "after-1".equals(r.json().getString("requestId")));
            gw.send(CloudGatewayClient.answered(request, "cpns", c.json().getString("nonce"), "00000001", "aftercnonce",
                    DigestClient.ha1("alice", "cpns", f.system.password())));
            final CloudGatewayClient.Reply d = gw.await(r -> "after-1".equals(r.json().getString("requestId"))
                    && "key-delivery".equals(r.leaf()));
            assertEquals(200, d.json().getInteger("status"));
            final long badRequests = gw.received().stream().filter(r -> "status".equals(r.leaf())
                    && r.json().getInteger("status") == 400).count();
            assertTrue(corpus.size() >= 500);
            assertTrue(badRequests >= expected400, badRequests + " 400 answers for " + expected400 + " malformed inputs");
            System.out.printf("cloud hostile corpus: %d inputs, %d malformed by the codec, %d answered 400%n",
                    corpus.size(), expected400, badRequests);
        }
    }

    @Test
    @DisplayName("a 1 MiB payload on the PAN is refused by the broker (client disconnected); the PNE reconnects and is served")
    void pan_oneMebibyte_refusedByBroker() throws Exception {
        final EntityId entity = EntityId.of("huge-pne");
        try (RecordingPne pne = new RecordingPne(f.system, entity).connect()) {
            assertThrows(Exception.class, () -> pne.client().publishWith().topic(Topics.pan(entity, Topics.KEY_REQUEST))
                    .qos(MqttQos.AT_LEAST_ONCE).payload(new byte[1024 * 1024]).send().get(30, TimeUnit.SECONDS));
        }
        try (RecordingPne again = new RecordingPne(f.system, entity).connect()) {
            again.sendKeyRequest(RecordingPne.proxyRequest(entity, "after-huge"));
            assertEquals(200, again.awaitLeaf("key-delivery").json().getInteger("status"));
        }
    }

    private static int statusOf(final CpnsMessage m) {
        if (m instanceof StatusReport r) {
            return r.status();
        }
        if (m instanceof KeyDelivery d) {
            return d.status();
        }
        return Status.UNAUTHORIZED;
    }
}
