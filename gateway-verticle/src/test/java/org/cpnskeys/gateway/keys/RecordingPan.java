package org.cpnskeys.gateway.keys;

import java.util.ArrayList;
import java.util.List;

import io.vertx.core.buffer.Buffer;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.KeyDelivery;
import org.cpnskeys.protocol.MessageCodec;
import org.cpnskeys.protocol.StatusReport;

/** The PAN as the service sees it: every message to a PNE, in order. */
final class RecordingPan implements PanLink {
    /** One message to a PNE: the reply topic's leaf and the payload as sent. */
    record Sent(EntityId pne, String leaf, Buffer payload) {
    }

    private final MessageCodec codec = new MessageCodec();
    private final List<Sent> sent = new ArrayList<>();

    @Override
    public synchronized void challenge(final EntityId pne, final Buffer payload) {
        sent.add(new Sent(pne, "challenge", payload));
    }

    @Override
    public synchronized void keyDelivery(final EntityId pne, final Buffer payload) {
        sent.add(new Sent(pne, "key-delivery", payload));
    }

    @Override
    public synchronized void status(final EntityId pne, final Buffer payload) {
        sent.add(new Sent(pne, "status", payload));
    }

    synchronized List<Sent> sent() {
        return List.copyOf(sent);
    }

    synchronized Sent last() {
        if (sent.isEmpty()) {
            throw new AssertionError("nothing was sent to a PNE");
        }
        return sent.get(sent.size() - 1);
    }

    /** The last message, which must be a Key Delivery. */
    KeyDelivery lastDelivery() {
        final Sent s = last();
        if (!"key-delivery".equals(s.leaf())) {
            throw new AssertionError("the last message to the PNE is a " + s.leaf() + ", not a key-delivery");
        }
        return codec.decode(s.payload(), KeyDelivery.class);
    }

    /** The last message, which must be a status. */
    StatusReport lastStatus() {
        final Sent s = last();
        if (!"status".equals(s.leaf())) {
            throw new AssertionError("the last message to the PNE is a " + s.leaf() + ", not a status");
        }
        return codec.decode(s.payload(), StatusReport.class);
    }

    synchronized long count(final String leaf) {
        return sent.stream().filter(s -> s.leaf().equals(leaf)).count();
    }
}
