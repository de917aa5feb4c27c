package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The bench's options that are more than a value: the sweep's rates and the echo's client. */
class BenchOptionsTest {
    @Test
    void sweepRates_fromStartStepAndCount_rise() {
        assertEquals(List.of(500.0, 750.0, 1000.0), Sweep.rates(null, 500, 250, 3));
    }

    @Test
    void sweepRates_givenAsAList_winOverStartStepAndCount() {
        assertEquals(List.of(100.0, 400.0), Sweep.rates(List.of(100.0, 400.0), 1000, 1000, 9));
    }

    @Test
    void aSweepWithoutSteps_isRefusedNamingTheOption() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sweep.rates(List.of(), 1000, 1000, 0));
        assertEquals("--sweep-count and --sweep-start must be positive, --sweep-step not negative", e.getMessage());
    }

    @Test
    void ceilingClient_isHivemqOrVertxInEitherCase_andAnythingElseIsRefused() {
        assertEquals(EchoClient.HIVEMQ, EchoClient.of("hivemq"));
        assertEquals(EchoClient.VERTX, EchoClient.of("VertX"));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EchoClient.of("paho"));
        assertEquals("--ceiling-client must be hivemq or vertx, not paho", e.getMessage());
    }
}
