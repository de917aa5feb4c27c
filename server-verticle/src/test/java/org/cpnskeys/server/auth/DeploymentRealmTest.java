package org.cpnskeys.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.cpnskeys.protocol.UserId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeploymentRealmTest {
    @TempDir
    Path dir;

    private Path users() {
        return dir.resolve("users.htdigest");
    }

    @Test
    void resolve_newDataFolder_generatesKeepsAndReusesIt() throws Exception {
        final String realm = DeploymentRealm.resolve(dir, users(), Optional.empty());
        assertTrue(realm.matches("cpns-[0-9a-f]{16}"), realm);
        assertEquals(realm, DeploymentRealm.resolve(dir, users(), Optional.empty()));
        assertEquals(Optional.of(realm), DeploymentRealm.kept(dir));
        assertNotEquals(realm, DeploymentRealm.resolve(dir.resolve("other"), dir.resolve("other/users"), Optional.empty()));
    }

    @Test
    void existing_usersInARealm_theirRealmWinsAndIsKept() throws Exception {
        HtdigestFile.addOrReplace(users(), UserId.of("alice"), "old-realm", "pw".toCharArray());
        assertEquals("old-realm", DeploymentRealm.resolve(dir, users(), Optional.empty()));
        HtdigestFile.remove(users(), UserId.of("alice"), "old-realm");
        assertEquals("old-realm", DeploymentRealm.resolve(dir, users(), Optional.empty()),
                "the realm changed when the last user was removed");
    }

    @Test
    void existing_explicitRealmNotTheUsers_refusedNamingBoth() throws Exception {
        HtdigestFile.addOrReplace(users(), UserId.of("alice"), "old-realm", "pw".toCharArray());
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeploymentRealm.resolve(dir, users(), Optional.of("new-realm")));
        assertTrue(e.getMessage().contains("\"new-realm\"") && e.getMessage().contains("\"old-realm\""), e.getMessage());
        assertEquals("old-realm", DeploymentRealm.resolve(dir, users(), Optional.of("old-realm")));
    }

    @Test
    void existing_explicitRealmWithoutUsers_winsOverTheKeptOne() throws Exception {
        DeploymentRealm.resolve(dir, users(), Optional.empty());
        assertEquals("named", DeploymentRealm.resolve(dir, users(), Optional.of("named")));
        assertThrows(IllegalArgumentException.class, () -> DeploymentRealm.resolve(dir, users(), Optional.of("a:b")));
    }

    @Test
    void existing_twoRealmsInTheFile_refused() throws Exception {
        HtdigestFile.addOrReplace(users(), UserId.of("alice"), "r1", "pw".toCharArray());
        HtdigestFile.addOrReplace(users(), UserId.of("bob"), "r2", "pw".toCharArray());
        assertThrows(IllegalStateException.class, () -> DeploymentRealm.resolve(dir, users(), Optional.empty()));
    }

    @Test
    void kept_invalidRealmFile_refusedSayingWhatToDo() throws Exception {
        Files.writeString(dir.resolve(DeploymentRealm.FILE), "bad\"realm\n", StandardCharsets.US_ASCII);
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeploymentRealm.resolve(dir, users(), Optional.empty()));
        assertTrue(e.getMessage().contains("delete it"), e.getMessage());
    }
}
