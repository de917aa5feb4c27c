package org.cpnskeys.deploy.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) driven by Selenium, for the approval
 * page's browser tests. Offline flags, a fresh profile per browser. When no browser is installed the tests are
 * skipped with the reason, or fail when {@code CI_REQUIRE_BROWSER=1} (CI installs the browser and must run them).
 */
final class Browser implements AutoCloseable {
    static final List<String> CHROMIUM = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    static final List<String> DRIVER = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

    final ChromeDriver driver;
    private final Path profile;

    private Browser(final ChromeDriver driver, final Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Skips (or, with {@code CI_REQUIRE_BROWSER=1}, fails) the calling test when no browser is installed. */
    static void requireInstalled() {
        if (find(CHROMIUM).isPresent() && find(DRIVER).isPresent()) {
            return;
        }
        final String why = "headless Chromium not found (need " + CHROMIUM.get(0) + " and " + DRIVER.get(0)
                + ": apt-get install chromium chromium-driver)";
        if ("1".equals(System.getenv("CI_REQUIRE_BROWSER"))) {
            Assertions.fail(why + "; CI_REQUIRE_BROWSER=1 requires the browser tests to run");
        }
        Assumptions.abort("browser test skipped: " + why);
    }

    /** A new headless browser with a phone-sized window (412 x 915 CSS pixels). */
    static Browser phone() throws IOException {
        requireInstalled();
        final Path profile = Files.createTempDirectory("cpns-chromium-");
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(find(CHROMIUM).orElseThrow());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=412,915");
        // The page's certificate comes from the gateway's own PAN CA, which this fresh profile does not know.
        options.setAcceptInsecureCerts(true);
        final ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(find(DRIVER).orElseThrow())).usingAnyFreePort().build();
        final ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().window().setSize(new Dimension(412, 915));
        return new Browser(driver, profile);
    }

    private static Optional<String> find(final List<String> candidates) {
        return candidates.stream().filter(c -> Files.isExecutable(Path.of(c))).findFirst();
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary profile left behind
            }
        }
    }
}
