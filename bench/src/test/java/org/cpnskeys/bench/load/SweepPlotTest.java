package org.cpnskeys.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The sweep's SVG and CSV: well-formed, points where the axes say, short steps marked. */
class SweepPlotTest {
    private static final List<SweepPlot.Point> POINTS = List.of(
            new SweepPlot.Point(1000, 1000, 2, 8, 15, 20, 0, 0, 5000, 0.2),
            new SweepPlot.Point(2000, 1990, 3, 12, 30, 40, 0, 0, 5000, 0.4),
            new SweepPlot.Point(4000, 3100, 40, 300, 450, 500, 7, 7, 5000, 0.62));

    private static Document parse(final String xml) throws Exception {
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void svg_isWellFormedXml_withAnSvgRootAndTheTitleEscaped() throws Exception {
        final Document d = parse(new SweepPlot(POINTS).svg("latency <against> load & more"));
        assertEquals("svg", d.getDocumentElement().getLocalName());
        assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
        assertTrue(d.getDocumentElement().getTextContent().contains("latency <against> load & more"));
    }

    @Test
    void axes_roundUpToNiceValues_andPointsAreScaledOntoThem() throws Exception {
        final SweepPlot plot = new SweepPlot(POINTS);
        assertEquals(4000, plot.xMax(), "ticks of 1000/s, up to the highest rate");
        assertEquals(6000, new SweepPlot(List.of(new SweepPlot.Point(500, 500, 1, 2, 3, 4, 0, 0, 1, 0),
                new SweepPlot.Point(6000, 6000, 1, 2, 3, 4, 0, 0, 1, 0))).xMax(), "ticks of 2000/s");
        assertEquals(1, plot.yMin(), "the decade at or below the lowest p50 (2 ms)");
        assertEquals(1000, plot.yMax(), "the decade at or above the highest p99.9 (450 ms)");
        // x: 0..4000/s over the plot's width; y: 1..1000 ms, three decades, logarithmic, from the bottom edge up
        final double width = SweepPlot.WIDTH - SweepPlot.LEFT - SweepPlot.RIGHT;
        final double height = SweepPlot.HEIGHT - SweepPlot.TOP - SweepPlot.BOTTOM;
        assertEquals(SweepPlot.LEFT + width * 0.75, plot.x(3000), 1e-9);
        assertEquals(SweepPlot.HEIGHT - SweepPlot.BOTTOM - height * Math.log10(450) / 3, plot.y(450), 1e-9);
        assertEquals(SweepPlot.HEIGHT - SweepPlot.BOTTOM - height * 2 / 3, plot.y(100), 1e-9, "100 ms two decades up");
        assertEquals(SweepPlot.HEIGHT - SweepPlot.BOTTOM, plot.y(0.5), 1e-9, "below the scale: on the bottom edge");

        final NodeList circles = parse(plot.svg("t")).getElementsByTagNameNS("http://www.w3.org/2000/svg", "circle");
        assertEquals(9, circles.getLength(), "three curves of three points");
        final Element p999At4000 = find(circles, "p99.9", 2);
        assertEquals(plot.x(4000), Double.parseDouble(p999At4000.getAttribute("cx")), 0.05);
        assertEquals(plot.y(450), Double.parseDouble(p999At4000.getAttribute("cy")), 0.05);
        final Element p50At1000 = find(circles, "p50", 0);
        assertEquals(plot.x(1000), Double.parseDouble(p50At1000.getAttribute("cx")), 0.05);
        assertEquals(plot.y(2), Double.parseDouble(p50At1000.getAttribute("cy")), 0.05);
    }

    @Test
    void aStepThatFellShortOfItsOfferedRate_isMarkedWithItsAchievedRate() throws Exception {
        final Document d = parse(new SweepPlot(POINTS).svg("t"));
        assertEquals(3, count(d, "rect", "short"), "only the 4,000/s step (3,100/s achieved, errors), once per curve; 1,990 of 2,000 kept up");
        final NodeList texts = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        boolean labelled = false;
        for (int i = 0; i < texts.getLength(); i++) {
            labelled |= texts.item(i).getTextContent().equals("achieved 3100/s, 7 errors");
        }
        assertTrue(labelled);
    }

    /** The latency axis is labelled at each decade it spans. */
    @Test
    void latencyAxis_hasATickAtEachDecade() throws Exception {
        final Document d = parse(new SweepPlot(POINTS).svg("t"));
        assertEquals(4, count(d, "line", "ytick"), "1, 10, 100 and 1000 ms");
        final NodeList texts = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
        final java.util.Set<String> labels = new java.util.HashSet<>();
        for (int i = 0; i < texts.getLength(); i++) {
            labels.add(texts.item(i).getTextContent());
        }
        assertTrue(labels.containsAll(List.of("1", "10", "100", "1000")), labels.toString());
    }

    @Test
    void niceCeiling_isTheNextOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(1, SweepPlot.niceCeiling(0));
        assertEquals(0.5, SweepPlot.niceCeiling(0.31), 1e-12);
        assertEquals(1000, SweepPlot.niceCeiling(1000));
        assertEquals(2000, SweepPlot.niceCeiling(1001));
        assertEquals(10000, SweepPlot.niceCeiling(5001));
    }

    @Test
    void csv_hasAHeaderAndOneLinePerStep() {
        final List<String> lines = SweepPlot.csv(POINTS).lines().toList();
        assertEquals("offered_per_s,assignments_per_s,p50_ms,p99_ms,p999_ms,max_ms,errors,not_sent,ceiling_per_s,ceiling_ratio",
                lines.get(0));
        assertEquals(4, lines.size());
        assertEquals("4000,3100,40.00,300.00,450.00,500.00,7,7,5000,0.62", lines.get(3));
    }

    @Test
    void aPlotWithoutSteps_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SweepPlot(List.of()));
    }

    /** How many SVG elements of this tag carry this class. */
    private static int count(final Document d, final String tag, final String cls) {
        final NodeList all = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", tag);
        int n = 0;
        for (int i = 0; i < all.getLength(); i++) {
            n += cls.equals(((Element) all.item(i)).getAttribute("class")) ? 1 : 0;
        }
        return n;
    }

    private static Element find(final NodeList circles, final String cls, final int index) {
        int seen = 0;
        for (int i = 0; i < circles.getLength(); i++) {
            final Element e = (Element) circles.item(i);
            if (cls.equals(e.getAttribute("class")) && seen++ == index) {
                return e;
            }
        }
        throw new AssertionError("no " + cls + " point " + index);
    }
}
