package org.cpnskeys.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;

import org.cpnskeys.deploy.LocalSystem;
import org.cpnskeys.gateway.GatewayConfig;
import org.cpnskeys.gateway.web.WebPageConfig;
import org.cpnskeys.pne.LoginPrompt;
import org.cpnskeys.pne.PneApplication;
import org.cpnskeys.pne.PneOutcome;
import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.Status;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * F3 / R6 / R7 in a real browser: the gateway's approval page in headless Chromium, with a real CPNS Server,
 * gateway and PNEs. The user logs in with the admin secret, sees Key Requests arrive without reloading, and
 * approves, denies, lets one expire, or enters their credentials.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ApprovalPageBrowserIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @BeforeAll
    static void browserInstalled() {
        Browser.requireInstalled();
    }

    @Test
    @DisplayName("F3 page: a PNE's request appears without reload; Approve ends with the PNE holding its EUKey")
    void page_pneAsksThenUserApproves_requestAppearsLiveAndPneHoldsKey() throws Exception {
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
                Browser b = Browser.phone()) {
            login(f, b);
            b.driver.executeScript("window.cpnsNoReload = 'same page';");
            final Future<PneOutcome> outcome = ask(f, "sensor-page", "kitchen temperature sensor");

            final WebElement card = waitFor(b, "#pending li.request[data-entity='sensor-page']");
            assertEquals("same page", b.driver.executeScript("return window.cpnsNoReload;"), "the page was not reloaded");
            assertTrue(card.getText().contains("kitchen temperature sensor"), card.getText());
            final String fingerprint = card.findElement(By.cssSelector(".fingerprint")).getText();
            assertTrue(fingerprint.matches("[0-9A-F]{4}(-[0-9A-F]{4}){3}"), fingerprint);
            assertTrue(card.findElement(By.cssSelector(".countdown")).getText().matches("\\d+ s"));
            screenshot(b, "approval-page-pending.png");

            card.findElement(By.cssSelector("button.approve")).click();
            final PneOutcome o = Fixture.await(outcome);
            assertTrue(o.stored(), o.reason());
            assertEquals(Status.OK, o.status());
            assertEquals(o.keyCheckValue(), f.serverKcv("sensor-page"), "the PNE's key is the server's");
            waitFor(b, "#history li[data-entity='sensor-page'][data-decision='APPROVED'][data-status='200']");
            assertTrue(b.driver.findElements(By.cssSelector("#pending li")).isEmpty());
        }
    }

    @Test
    @DisplayName("Owner release on the page: 'Remove this device' on a delivered request releases the device's key at the server")
    void page_removeThisDevice_releasesTheDevicesKey() throws Exception {
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
                Browser b = Browser.phone()) {
            login(f, b);
            final Future<PneOutcome> outcome = ask(f, "speaker-page", "living-room speaker");
            waitFor(b, "#pending li.request[data-entity='speaker-page'] button.approve").click();
            assertTrue(Fixture.await(outcome).stored());
            assertTrue(f.serverKcv("speaker-page").isPresent());

            waitFor(b, "#history li[data-entity='speaker-page'][data-status='200'] button.remove").click();
            new WebDriverWait(b.driver, WAIT).until(ExpectedConditions.alertIsPresent()).accept();
            Fixture.eventually(WAIT, "the key released at the server", () -> f.serverKcv("speaker-page").isEmpty());
            new WebDriverWait(b.driver, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
                    By.id("message"), "speaker-page removed"));
        }
    }

    @Test
    @DisplayName("F3 page: Deny ends with 403 for the PNE and no EUKey anywhere")
    void page_userDenies_pneRefused403AndNoKey() throws Exception {
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults(), WebPageConfig.loopback(0));
                Browser b = Browser.phone()) {
            login(f, b);
            final Future<PneOutcome> outcome = ask(f, "bulb-page", "hallway bulb");
            waitFor(b, "#pending li.request[data-entity='bulb-page'] button.deny").click();
            final PneOutcome o = Fixture.await(outcome);
            assertEquals(Status.FORBIDDEN, o.status(), o.reason());
            assertFalse(o.stored());
            assertEquals(Optional.empty(), f.serverKcv("bulb-page"));
            final WebElement h = waitFor(b, "#history li[data-entity='bulb-page'][data-decision='DENIED']");
            assertTrue(h.getText().contains("Denied"), h.getText());
        }
    }

    @Test
    @DisplayName("R6 page: with no credentials, the form stores them (HA1 only) and the server accepts them")
    void page_noCredentialsUserFillsForm_serverAcceptsAndPneHoldsKey() throws Exception {
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults()
                .withoutGatewayCredentials(GatewayConfig.MissingCredentials.PROMPT), WebPageConfig.loopback(0));
                Browser b = Browser.phone()) {
            login(f, b);
            assertTrue(b.driver.findElement(By.id("credentials-status")).getText().contains("No User ID"));
            final Future<PneOutcome> outcome = ask(f, "plug-page", "smart plug");
            waitFor(b, "#wanted");
            assertTrue(b.driver.findElement(By.id("wanted")).getText().contains("plug-page"));

            b.driver.findElement(By.id("cred-user")).sendKeys(f.system.user().value());
            b.driver.findElement(By.id("cred-password")).sendKeys(new String(f.system.password()));
            b.driver.findElement(By.id("cred-save")).click();
            new WebDriverWait(b.driver, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(
                    By.id("credentials-status"), "Configured for user alice"));

            waitFor(b, "#pending li.request[data-entity='plug-page'] button.approve").click();
            final PneOutcome o = Fixture.await(outcome);
            assertTrue(o.stored(), "the server accepted the credentials entered in the page: " + o.reason());
            assertEquals(o.keyCheckValue(), f.serverKcv("plug-page"));
            final String stored = Files.readString(f.system.gateway().credentials().file(), StandardCharsets.UTF_8);
            assertFalse(stored.contains(new String(f.system.password())), "only HA1 is stored");
            assertFalse(b.driver.getPageSource().contains(new String(f.system.password())), "no password in the page");
        }
    }

    @Test
    @DisplayName("F3 page: a request left alone expires; the PNE gets 403 and the page says it expired")
    void page_requestLeftAlone_expiresAnd403() throws Exception {
        try (Fixture f = new Fixture(dir, LocalSystem.Options.defaults().withApprovalTimeout(Duration.ofSeconds(4)),
                WebPageConfig.loopback(0)); Browser b = Browser.phone()) {
            login(f, b);
            final Future<PneOutcome> outcome = ask(f, "lamp-page", "desk lamp");
            waitFor(b, "#pending li.request[data-entity='lamp-page']");
            final WebElement h = waitFor(b, "#history li[data-entity='lamp-page'][data-decision='EXPIRED']");
            assertTrue(h.getText().contains("Nobody answered in time"), h.getText());
            assertTrue(b.driver.findElements(By.cssSelector("#pending li")).isEmpty());
            final PneOutcome o = Fixture.await(outcome);
            assertEquals(Status.FORBIDDEN, o.status(), o.reason());
            assertFalse(o.stored());
        }
    }

    // ------------------------------------------------------------------ the user's steps

    private static void login(final Fixture f, final Browser b) throws Exception {
        final String url = f.page.orElseThrow().url().orElseThrow();
        assertTrue(url.startsWith("https://localhost:"), url);
        b.driver.get(url);
        final WebElement secret = waitFor(b, "#secret");
        final Path file = f.page.get().secretFile().orElseThrow();
        secret.sendKeys(Files.readString(file, StandardCharsets.UTF_8).strip());
        b.driver.findElement(By.id("login-button")).click();
        waitFor(b, "#app");
    }

    private static Future<PneOutcome> ask(final Fixture f, final String entity, final String description) {
        return f.system.pne(EntityId.of(entity), Optional.<LoginPrompt>empty(), Optional.of(description))
                .compose(cfg -> PneApplication.requestKey(f.vertx, cfg));
    }

    private static WebElement waitFor(final Browser b, final String css) {
        return new WebDriverWait(b.driver, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    private static void screenshot(final Browser b, final String name) throws Exception {
        final Path target = Path.of("target");
        Files.createDirectories(target);
        Files.write(target.resolve(name), b.driver.getScreenshotAs(OutputType.BYTES));
    }
}
