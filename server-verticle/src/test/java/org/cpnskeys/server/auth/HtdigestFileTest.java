package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.ext.auth.htdigest.HtdigestAuth;
import io.vertx.ext.auth.htdigest.HtdigestCredentials;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.cpnskeys.protocol.EntityId;
import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class HtdigestFileTest {
    private static final String REALM = "cpns@example.org";

    @TempDir
    Path dir;

    /** MD5(user:realm:password) in lower-case hex, computed here independently of the code under test. */
    static String md5Hex(final String user, final String realm, final String password) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                .digest((user + ":" + realm + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private static InvalidHtdigestFileException parseFails(final String content) {
        return assertThrows(InvalidHtdigestFileException.class, () -> HtdigestFile.parse(content, "users.htdigest"));
    }

    @Test
    void parse_validFile_returnsEachUsersHa1() throws Exception {
        final String content = "alice:" + REALM + ":" + md5Hex("alice", REALM, "pw-a") + "\r\n"
                + "bob:" + REALM + ":" + md5Hex("bob", REALM, "pw-b") + "\n\n";
        final HtdigestFile file = HtdigestFile.parse(content, "users.htdigest");
        assertEquals(2, file.size());
        assertEquals(List.of("alice", "bob"), file.users());
        assertEquals(md5Hex("bob", REALM, "pw-b"), file.ha1(UserId.of("bob"), REALM).orElseThrow().hex());
        assertEquals(Optional.empty(), file.ha1(UserId.of("bob"), "other-realm").map(Ha1::hex));
        assertEquals(Optional.empty(), file.ha1(UserId.of("carol"), REALM).map(Ha1::hex));
    }

    @Test
    void parse_blankLineInside_failsNamingTheLine() throws Exception {
        final InvalidHtdigestFileException e = parseFails(
                "alice:" + REALM + ":" + md5Hex("alice", REALM, "x") + "\n\nbob:" + REALM + ":" + md5Hex("bob", REALM, "y"));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("users.htdigest line 2: blank line"), e.getMessage());
    }

    @Test
    void parse_trailingLineOfSpaces_failsNamingTheLine() throws Exception {
        final InvalidHtdigestFileException e = parseFails("alice:" + REALM + ":" + md5Hex("alice", REALM, "x") + "\n  \n");
        assertEquals(2, e.line());
    }

    @Test
    void parse_emptyFile_hasNoEntries() throws Exception {
        assertEquals(0, HtdigestFile.parse("", "f").size());
        assertEquals(0, HtdigestFile.parse("\n\n", "f").size());
    }

    @Test
    void parse_commentLine_failsNamingTheLine() {
        final InvalidHtdigestFileException e = parseFails("# users of the CPNS server\n");
        assertEquals(1, e.line());
        assertTrue(e.getMessage().contains("line 1: comment line"), e.getMessage());
    }

    @Test
    void parse_lineWithTwoFields_failsNamingTheLineWithoutQuotingIt() throws Exception {
        final InvalidHtdigestFileException e = parseFails(
                "alice:" + REALM + ":" + md5Hex("alice", REALM, "x") + "\nbob:MySecretPassw0rd\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("found 2 field(s)"), e.getMessage());
        assertFalse(e.getMessage().contains("MySecretPassw0rd"), e.getMessage());
    }

    @Test
    void parse_badHa1_failsWithoutQuotingIt() throws Exception {
        final String upper = md5Hex("alice", REALM, "x").toUpperCase();
        final InvalidHtdigestFileException e = parseFails("alice:" + REALM + ":" + upper + "\n");
        assertTrue(e.getMessage().contains("line 1: HA1 must be written in lower-case hex"), e.getMessage());
        assertFalse(e.getMessage().contains(upper));
        assertTrue(parseFails("alice:" + REALM + ":1234\n").getMessage().contains("HA1 must be 32 hex digits"));
    }

    @Test
    void parse_duplicateUserAndRealm_failsNamingBothLines() throws Exception {
        final String line = "alice:" + REALM + ":" + md5Hex("alice", REALM, "x") + "\n";
        final InvalidHtdigestFileException e = parseFails(line + line);
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("first at line 1"), e.getMessage());
    }

    @Test
    void parse_invalidUserName_fails() throws Exception {
        assertTrue(parseFails("bad user:" + REALM + ":" + md5Hex("x", REALM, "y") + "\n").getMessage()
                .contains("line 1: user name"));
    }

    @Test
    void requireSingleRealm_otherRealm_failsNamingTheLine() throws Exception {
        final HtdigestFile file = HtdigestFile.parse("alice:" + REALM + ":" + md5Hex("alice", REALM, "x") + "\n"
                + "bob:elsewhere:" + md5Hex("bob", "elsewhere", "y") + "\n", "f");
        final InvalidHtdigestFileException e = assertThrows(InvalidHtdigestFileException.class,
                () -> file.requireSingleRealm(REALM));
        assertEquals(2, e.line());
    }

    @Test
    void addOrReplace_newFile_writesApacheLineOwnerOnly() throws Exception {
        final Path file = dir.resolve("users.htdigest");
        final char[] password = "Circle Of Life".toCharArray();
        HtdigestFile.addOrReplace(file, UserId.of("Mufasa"), "testrealm@host.com", password);
        assertEquals("Mufasa:testrealm@host.com:939e7578ed9e3c518a452acee763bce9\n", Files.readString(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals("Circle Of Life".toCharArray(), password, "the caller's password array is left alone");
    }

    @Test
    void addOrReplace_existingUser_replacesOnlyThatLine() throws Exception {
        final Path file = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(file, UserId.of("alice"), REALM, "one".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("bob"), REALM, "two".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("alice"), "other", "three".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("alice"), REALM, "four:with:colons".toCharArray());
        assertEquals(List.of("alice:" + REALM + ":" + md5Hex("alice", REALM, "four:with:colons"),
                "bob:" + REALM + ":" + md5Hex("bob", REALM, "two"),
                "alice:other:" + md5Hex("alice", "other", "three")), Files.readAllLines(file));
    }

    @Test
    void addOrReplace_malformedFile_refusedAndLeftUntouched() throws Exception {
        final Path file = dir.resolve("users.htdigest");
        Files.writeString(file, "# comment\n");
        final InvalidHtdigestFileException e = assertThrows(InvalidHtdigestFileException.class,
                () -> HtdigestFile.addOrReplace(file, UserId.of("alice"), REALM, "pw".toCharArray()));
        assertEquals(1, e.line());
        assertEquals("# comment\n", Files.readString(file));
    }

    @Test
    void addOrReplace_realmWithColon_refused() {
        assertThrows(IllegalArgumentException.class,
                () -> HtdigestFile.addOrReplace(dir.resolve("f"), UserId.of("alice"), "a:b", "pw".toCharArray()));
    }

    /** Verifies that a file written by us is accepted by vertx-auth-htdigest for a correct digest response. */
    @Test
    void addOrReplace_fileReadByVertxHtdigest_verifiesResponse(final Vertx vertx, final VertxTestContext ctx)
            throws Exception {
        final Path file = dir.resolve("users.htdigest");
        HtdigestFile.addOrReplace(file, UserId.of("alice"), REALM, "pa:ss".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("bob"), REALM, "other".toCharArray());
        final HtdigestAuth auth = HtdigestAuth.create(vertx, file.toString());
        final EntityId entity = EntityId.of("pne-1");
        final org.cpnskeys.protocol.RequestId request = org.cpnskeys.protocol.RequestId.of("req-1");
        final org.cpnskeys.protocol.crypto.X25519PublicKey epk = org.cpnskeys.protocol.crypto.X25519.generate()
                .publicKey();
        final String response;
        try (Ha1 ha1 = DigestClient.ha1("alice", REALM, "pa:ss".toCharArray())) {
            response = DigestClient.keyRequestResponse(ha1, entity, request, epk, "n0nce", "00000001", "c0ffee00");
        }
        auth.authenticate(new HtdigestCredentials().setUsername("alice").setRealm(REALM).setNonce("n0nce")
                .setNc("00000001").setCnonce("c0ffee00").setQop("auth").setMethod(DigestClient.METHOD)
                .setUri(DigestClient.uri(entity, request, epk)).setResponse(response))
                .onComplete(ctx.succeeding(user -> ctx.verify(() -> {
                    assertEquals("alice", user.principal().getString("username"));
                    ctx.completeNow();
                })));
    }

    /** Verifies that removing a user drops only their line, owner-only, and that removing an absent user changes nothing. */
    @Test
    void remove_presentAndAbsentUser_dropsOnlyThatLine(@TempDir final Path tmp) throws IOException {
        final Path file = tmp.resolve("users.htdigest");
        HtdigestFile.addOrReplace(file, UserId.of("alice"), "cpns", "a-pw".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("bob"), "cpns", "b-pw".toCharArray());
        HtdigestFile.addOrReplace(file, UserId.of("carol"), "cpns", "c-pw".toCharArray());
        final List<String> before = Files.readAllLines(file);
        assertTrue(HtdigestFile.remove(file, UserId.of("bob"), "cpns"));
        assertEquals(List.of(before.get(0), before.get(2)), Files.readAllLines(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final byte[] after = Files.readAllBytes(file);
        assertFalse(HtdigestFile.remove(file, UserId.of("bob"), "cpns"));
        assertFalse(HtdigestFile.remove(file, UserId.of("alice"), "other-realm"));
        assertArrayEquals(after, Files.readAllBytes(file));
        assertFalse(HtdigestFile.remove(tmp.resolve("absent.htdigest"), UserId.of("alice"), "cpns"));
    }
}
