package org.cpnskeys.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.cpnskeys.protocol.UserId;
import org.cpnskeys.protocol.crypto.DigestClient;
import org.cpnskeys.protocol.crypto.Ha1;
import org.cpnskeys.protocol.crypto.SecretFiles;

/**
 * An Apache htdigest file: one {@code user:realm:HA1} line per user and realm, HA1 = MD5(user:realm:password)
 * in 32 lower-case hex digits, as Apache's {@code htdigest} writes it.
 *
 * <p>Parsing is strict and every error names the line: blank lines and {@code #} lines are refused (Apache
 * never writes them and vertx-auth-htdigest crashes on them), as are lines without exactly three fields, user
 * names that are not valid {@link UserId}s, HA1 values that are not 32 lower-case hex digits (vertx-auth-htdigest
 * uses the stored text as is, so upper case would never verify) and duplicate user and realm pairs. A file
 * accepted here is one vertx-auth-htdigest reads correctly, provided it holds one realm only (see
 * {@link #requireSingleRealm(String)}) and at least one entry. Empty lines at the very end are tolerated (both
 * readers ignore them).
 *
 * <p>Reading and writing are blocking: call them from a worker, never from an event loop.
 */
public final class HtdigestFile {
    private static final Pattern HA1_HEX = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern ANY_HEX = Pattern.compile("[0-9a-fA-F]{32}");
    /** The realms {@code DigestAuthorization} accepts: printable ASCII without '"', '\' and ':'. */
    private static final Pattern REALM = Pattern.compile("[\\x20-\\x7e&&[^\"\\\\:]]{1,64}");

    private final String source;
    private final Map<String, Entry> entries;

    private record Entry(String user, String realm, Ha1 ha1, int line) {
    }

    private HtdigestFile(final String source, final Map<String, Entry> entries) {
        this.source = source;
        this.entries = entries;
    }

    /** Whether {@code realm} can be written in an htdigest file and sent in a challenge. */
    public static boolean isValidRealm(final String realm) {
        return realm != null && REALM.matcher(realm).matches();
    }

    /** Reads and validates {@code file}. Blocking. */
    public static HtdigestFile read(final Path file) throws IOException {
        final byte[] bytes = Files.readAllBytes(file);
        try {
            return parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Validates {@code content}; {@code source} names it in error messages. */
    public static HtdigestFile parse(final String content, final String source) throws InvalidHtdigestFileException {
        final List<String> lines = lines(content);
        final Map<String, Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            final Entry e = parseLine(source, i + 1, lines.get(i));
            final Entry previous = entries.putIfAbsent(key(e.user(), e.realm()), e);
            if (previous != null) {
                throw new InvalidHtdigestFileException(source, e.line(), "duplicate entry for user " + e.user()
                        + " in realm " + e.realm() + " (first at line " + previous.line() + ")");
            }
        }
        return new HtdigestFile(source, entries);
    }

    /** The stored HA1 of {@code user} in {@code realm}, as a new object the caller may destroy. */
    public Optional<Ha1> ha1(final UserId user, final String realm) {
        final Entry e = entries.get(key(user.value(), realm));
        return e == null ? Optional.empty() : Optional.of(Ha1.fromHex(e.ha1().hex()));
    }

    /** How many entries the file holds. */
    public int size() {
        return entries.size();
    }

    /** The realms of the entries, in file order. */
    public Set<String> realms() {
        final Set<String> realms = new LinkedHashSet<>();
        entries.values().forEach(e -> realms.add(e.realm()));
        return Collections.unmodifiableSet(realms);
    }

    /** The user names, in file order. */
    public List<String> users() {
        final List<String> users = new ArrayList<>();
        entries.values().forEach(e -> users.add(e.user()));
        return Collections.unmodifiableList(users);
    }

    /**
     * Fails, naming the first offending line, unless every entry is in {@code realm} (vertx-auth-htdigest
     * accepts one realm per file).
     */
    public HtdigestFile requireSingleRealm(final String realm) throws InvalidHtdigestFileException {
        for (final Entry e : entries.values()) {
            if (!e.realm().equals(realm)) {
                throw new InvalidHtdigestFileException(source, e.line(), "realm \"" + e.realm()
                        + "\" differs from the configured realm \"" + realm + "\" (one realm per file)");
            }
        }
        return this;
    }

    /**
     * Adds the entry of {@code user} in {@code realm}, or replaces it, exactly as {@code htdigest} does
     * ({@code user:realm:md5hex(user:realm:password)}); other lines are kept as they are. The file is replaced
     * atomically and is owner-only; it is created when absent. The password array is neither kept nor modified.
     * A present but malformed file is refused (the error names the line) and left untouched. Blocking.
     */
    public static void addOrReplace(final Path file, final UserId user, final String realm, final char[] password)
            throws IOException {
        if (realm == null || !REALM.matcher(realm).matches()) {
            throw new IllegalArgumentException("realm is not valid (1-64 printable ASCII characters, no '\"', '\\' or ':')");
        }
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("password is empty");
        }
        final List<String> lines = new ArrayList<>();
        if (Files.exists(file)) {
            final byte[] bytes = Files.readAllBytes(file);
            final String content = new String(bytes, StandardCharsets.UTF_8);
            Arrays.fill(bytes, (byte) 0);
            parse(content, file.toString());
            lines.addAll(lines(content));
        }
        final String entry;
        try (Ha1 ha1 = DigestClient.ha1(user.value(), realm, password)) {
            entry = user.value() + ":" + realm + ":" + ha1.hex();
        }
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++) {
            final String[] f = lines.get(i).split(":", -1);
            if (f[0].equals(user.value()) && f[1].equals(realm)) {
                lines.set(i, entry);
                replaced = true;
            }
        }
        if (!replaced) {
            lines.add(entry);
        }
        final StringBuilder out = new StringBuilder();
        lines.forEach(l -> out.append(l).append('\n'));
        final byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
        try {
            SecretFiles.writeAtomically(file, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Removes the entry of {@code user} in {@code realm}; other lines are kept as they are and the file is replaced
     * atomically, owner-only. Returns whether there was such an entry (the file is left untouched if not). A
     * malformed file is refused and left untouched. Blocking.
     */
    public static boolean remove(final Path file, final UserId user, final String realm) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        final byte[] bytes = Files.readAllBytes(file);
        final String content = new String(bytes, StandardCharsets.UTF_8);
        Arrays.fill(bytes, (byte) 0);
        parse(content, file.toString());
        final List<String> kept = new ArrayList<>();
        boolean removed = false;
        for (final String line : lines(content)) {
            final String[] f = line.split(":", -1);
            if (f.length >= 2 && f[0].equals(user.value()) && f[1].equals(realm)) {
                removed = true;
            } else {
                kept.add(line);
            }
        }
        if (removed) {
            final StringBuilder out = new StringBuilder();
            kept.forEach(l -> out.append(l).append('\n'));
            final byte[] written = out.toString().getBytes(StandardCharsets.UTF_8);
            try {
                SecretFiles.writeAtomically(file, written);
            } finally {
                Arrays.fill(written, (byte) 0);
            }
        }
        return removed;
    }

    /**
     * The lines, without the empty lines at the very end, which vertx-auth-htdigest ignores too (it splits with
     * {@link String#split(String)}); a trailing line of spaces is kept, and refused, since it would crash it.
     */
    private static List<String> lines(final String content) {
        final List<String> lines = new ArrayList<>(Arrays.asList(content.split("\r?\n", -1)));
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private static Entry parseLine(final String source, final int n, final String line)
            throws InvalidHtdigestFileException {
        if (line.isBlank()) {
            throw new InvalidHtdigestFileException(source, n, "blank line (not allowed inside an htdigest file)");
        }
        if (line.startsWith("#")) {
            throw new InvalidHtdigestFileException(source, n, "comment line (not allowed in an htdigest file)");
        }
        final String[] f = line.split(":", -1);
        if (f.length != 3) {
            throw new InvalidHtdigestFileException(source, n,
                    "expected user:realm:HA1 (3 fields separated by ':'), found " + f.length + " field(s)");
        }
        try {
            UserId.of(f[0]);
        } catch (IllegalArgumentException e) {
            throw new InvalidHtdigestFileException(source, n, "user name: " + e.getMessage());
        }
        if (!REALM.matcher(f[1]).matches()) {
            throw new InvalidHtdigestFileException(source, n,
                    "realm is not valid (1-64 printable ASCII characters, no '\"' or '\\')");
        }
        if (!HA1_HEX.matcher(f[2]).matches()) {
            throw new InvalidHtdigestFileException(source, n, ANY_HEX.matcher(f[2]).matches()
                    ? "HA1 must be written in lower-case hex" : "HA1 must be 32 hex digits");
        }
        return new Entry(f[0], f[1], Ha1.fromHex(f[2]), n);
    }

    private static String key(final String user, final String realm) {
        return user + ":" + realm;
    }

    @Override
    public String toString() {
        return "HtdigestFile[" + source + ", " + entries.size() + " entries]";
    }
}
