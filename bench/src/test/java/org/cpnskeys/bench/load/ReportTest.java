package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The summary of interleaved windows: the ratio of the medians, the warnings, the RESULT line's exact format. */
class ReportTest {
    private static Run run(final double offered, final double perSecond, final long errors, final long late,
            final long missed) {
        final Histogram h = new Histogram(3);
        for (int ms = 1; ms <= 1000; ms++) {
            h.recordValue(ms * 1_000_000L);
        }
        return new Run(offered, perSecond, h, Map.of(200, 1000L), errors, missed, late, 0, 0.5, 5);
    }

    @Test
    void resultLine_hasExactlyTheDocumentedFields_inOrder() {
        final Run r = run(4000, 3990, 0, 0, 0);
        final String line = Report.result(r, 0.73);
        final Matcher m = Pattern.compile(Report.RESULT_PATTERN).matcher(line);
        assertTrue(m.matches(), line);
        assertEquals("4000", m.group(1));
        assertEquals("3990", m.group(2));
        assertEquals(500.0, Double.parseDouble(m.group(3)), 1.0);
        assertEquals(990.0, Double.parseDouble(m.group(4)), 1.0);
        assertEquals(999.0, Double.parseDouble(m.group(5)), 1.0);
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f", r.ms(99.9)), m.group(5));
        assertEquals("0", m.group(6));
        assertEquals("0.73", m.group(7));
    }

    @Test
    void ceilingRatio_isTheSystemsMedianOverTheCeilingsMedian_notAnyOneWindow() {
        final List<Interleaved.Pair> pairs = List.of(
                new Interleaved.Pair(run(0, 9000, 0, 0, 0), run(5000, 5000, 0, 0, 0)),
                new Interleaved.Pair(run(0, 4000, 0, 0, 0), run(6000, 6000, 0, 0, 0)),
                new Interleaved.Pair(run(0, 10000, 0, 0, 0), run(7000, 7000, 0, 0, 0)));
        final Report.Summary s = Report.summarize(pairs);
        assertEquals(9000, s.ceilingMedian());
        assertEquals(6000, s.systemMedian());
        assertEquals(6000.0 / 9000, s.ratio(), 1e-12);
        assertEquals(6000, s.system().perSecond(), 1e-9, "merged over equal windows");
        assertEquals(3000, s.system().latency().getTotalCount());
    }

    @Test
    void spread_ofAnEvenCount_hasTheMeanOfTheMiddleTwoAsMedian() {
        assertArrayEquals(new double[] {1, 2.5, 4}, Report.spread(new double[] {4, 1, 3, 2}));
    }

    @Test
    void aRatioAboveOne_isWarnedAbout_andKeptInTheResult() {
        final Run system = run(5000, 5000, 0, 0, 0);
        final List<String> w = Report.warnings(system, 1.12);
        assertEquals(1, w.size());
        assertTrue(w.get(0).startsWith("WARNING: ceiling_ratio 1.12 > 1"), w.get(0));
        assertTrue(Report.result(system, 1.12).endsWith(" ceiling_ratio=1.12"));
        assertTrue(Report.warnings(system, 1.0).isEmpty());
    }

    @Test
    void aGeneratorBehindItsSchedule_isWarnedAbout() {
        // 5 s at 1000/s: 5000 sends, 60 of them late (over 1 %)
        final List<String> w = Report.warnings(run(1000, 1000, 0, 60, 0), 0.5);
        assertEquals(1, w.size());
        assertTrue(w.get(0).contains("fell behind its schedule: 60 sends late"), w.get(0));
        assertTrue(Report.warnings(run(1000, 1000, 0, 40, 0), 0.5).isEmpty(), "under 1 % late is the machine's jitter");
        assertEquals(1, Report.warnings(run(1000, 990, 3, 0, 3), 0.5).size(), "any send not made");
    }
}
