package org.cpnskeys.pne;

import io.vertx.core.Future;

import org.cpnskeys.protocol.CpnsMessage;
import org.cpnskeys.protocol.RequestId;

/** One exchange of a PNE with the gateway, free of MQTT: a Key Request ({@link PneSession}) or a release. */
interface PneExchange {
    /** The Request ID of this exchange's messages. */
    RequestId requestId();

    /** Sends the first message; fails when the user gives no User ID. */
    Future<?> start();

    /** Takes one message from the gateway. */
    void onMessage(CpnsMessage message);

    /** Stops; an undecided outcome becomes 503 "stopped". */
    void close();
}
