package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.protocol.EntityId;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The owner enrols devices on the gateway's page in headless Chromium: CSR files chosen and one pasted, one click,
 * a certificate to download for each device, and the gateway's register holds them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ApprovalPageEnrolmentBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @BeforeAll
    static void browserInstalled() {
        Browser.requireInstalled();
    }

    @Test
    @DisplayName("P8 page: CSR files chosen and a pasted CSR are enrolled in one click, each with its certificate to download")
    void enrolOnThePage_filesAndPastedCsr_eachListedWithItsCertificateDownload() throws Exception {
        final Path csrs = Files.createDirectories(dir.resolve("csrs"));
        final Path first = Files.write(csrs.resolve("web-dev-1.csr"), DeviceCsrs.csr("CN=web-dev-1"));
        final Path second = Files.write(csrs.resolve("web-dev-2.csr"), DeviceCsrs.csr("CN=web-dev-2"));
        final String pasted = "copied from the device's console:\n"
                + new String(DeviceCsrs.csr("CN=web-dev-3"), StandardCharsets.US_ASCII);
        try (Fixture f = new Fixture(dir.resolve("system"), LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
                Browser b = Browser.phone()) {
            b.driver.get(f.page.orElseThrow().url().orElseThrow());
            final WebDriverWait wait = new WebDriverWait(b.driver, WAIT);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("secret"))).sendKeys(
                    Files.readString(f.page.get().secretFile().orElseThrow(), StandardCharsets.UTF_8).strip());
            b.driver.findElement(By.id("login-button")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("enrol-form")));

            b.driver.findElement(By.id("enrol-files")).sendKeys(first + "\n" + second);
            b.driver.findElement(By.id("enrol-paste")).sendKeys(pasted);
            b.driver.findElement(By.id("enrol-button")).click();

            wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#enrol-results li"), 3));
            final List<WebElement> links = b.driver.findElements(By.cssSelector("#enrol-results a.cert-download"));
            assertEquals(List.of("web-dev-1-cert.pem", "web-dev-2-cert.pem", "web-dev-3-cert.pem"),
                    links.stream().map(a -> a.getDomAttribute("download")).toList());
            assertTrue(links.stream().allMatch(a -> a.getDomProperty("href").startsWith("blob:")));
            assertTrue(b.driver.findElement(By.id("enrol-summary")).getText().startsWith("3 of 3 device(s) enrolled"));
            assertTrue(b.driver.findElement(By.id("enrol-download-all")).isDisplayed());
            Fixture.eventually(WAIT, "the gateway's register holds the three devices", () -> List.of("web-dev-1",
                    "web-dev-2", "web-dev-3").stream().allMatch(e -> f.system.gateway().deviceRegister().entries()
                            .stream().anyMatch(x -> x.entity().equals(EntityId.of(e)))));
        }
    }
}
