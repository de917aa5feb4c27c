package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** The bench's options that are more than a value: the sweep's rates and the echo's client. */
class BenchOptionsTest {
    private static BenchCommand parse(final String... args) {
        final BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void sweepRates_fromStartStepAndCount_rise() {
        assertEquals(List.of(500.0, 750.0, 1000.0),
                parse("--sweep-start", "500", "--sweep-step", "250", "--sweep-count", "3").sweepRates());
    }

    @Test
    void sweepRates_givenAsAList_winOverStartStepAndCount() {
        assertEquals(List.of(100.0, 400.0), parse("--sweep-rates", "100,400", "--sweep-count", "9").sweepRates());
    }

    @Test
    void aSweepWithoutSteps_isRefusedNamingTheOption() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--sweep-count", "0").sweepRates());
        assertEquals("--sweep-count and --sweep-start must be positive, --sweep-step not negative", e.getMessage());
    }

    @Test
    void ceilingClient_isHivemqByDefault_vertxOnRequest_andAnythingElseIsRefused() {
        assertEquals(EchoBrokers.Client.HIVEMQ, parse().ceilingClient());
        assertEquals(EchoBrokers.Client.VERTX, parse("--ceiling-client", "vertx").ceilingClient());
        assertThrows(IllegalArgumentException.class, () -> parse("--ceiling-client", "paho").ceilingClient());
    }
}
