package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The ceiling probe's verdict: a setting that beats the run's by more than 10 % is named in a warning. */
class CeilingProbeTest {
    @Test
    void aSettingMoreThanTenPercentAboveTheRunsOwn_isWarnedAboutByName() {
        final List<String> v = CeilingProbe.verdict(List.of(new CeilingProbe.Point("run's settings", 5000),
                new CeilingProbe.Point("4 x PNEs", 5600), new CeilingProbe.Point("run's settings again", 4900)));
        assertEquals(1, v.size());
        assertTrue(v.get(0).startsWith("WARNING: ceiling probe: 4 x PNEs gave 5600 pairs/s, 12 % above"), v.get(0));
    }

    @Test
    void noSettingAboveTheBetterOfTheRunsTwoWindowsByTenPercent_isNoWarning() {
        // 5,400 is 10 % above the first window but not above the second (5,000): the drift, not the setting
        final List<String> v = CeilingProbe.verdict(List.of(new CeilingProbe.Point("run's settings", 4900),
                new CeilingProbe.Point("2 x in flight", 5400), new CeilingProbe.Point("run's settings again", 5000)));
        assertTrue(v.get(0).startsWith("ceiling probe: no setting beat the run's (5000 pairs/s)"), v.get(0));
    }
}
