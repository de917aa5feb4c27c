package org.cpnskeys.protocol.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;

/**
 * Files that hold secrets: created owner-only (0600) from the first byte, written atomically (temporary file,
 * fsync, rename), and generated on first start when absent. Blocking: call from a worker, never from an
 * event loop.
 */
public final class SecretFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFiles() {
    }

    /** Reads the secret in {@code file}, or generates {@code length} random bytes there on first use. */
    public static SecretBytes loadOrCreate(final Path file, final int length) throws IOException {
        if (Files.exists(file)) {
            final byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != length) {
                Arrays.fill(bytes, (byte) 0);
                throw new IOException(file + " does not hold a " + length + "-byte secret (remove it to generate a new one)");
            }
            return SecretBytes.adopt(bytes);
        }
        final byte[] fresh = new byte[length];
        RANDOM.nextBytes(fresh);
        try {
            writeNew(file, fresh);
        } catch (FileAlreadyExistsException raced) {
            Arrays.fill(fresh, (byte) 0);
            return loadOrCreate(file, length);
        }
        return SecretBytes.adopt(fresh);
    }

    /** Creates a directory (and parents) readable by the owner only, if it does not exist yet. */
    public static Path ownerOnlyDirectory(final Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, attr(OWNER_ONLY_DIR));
        }
        return dir;
    }

    /** Writes {@code content} to {@code file} atomically, owner-only, replacing any previous content. */
    public static void writeAtomically(final Path file, final byte[] content) throws IOException {
        writeAtomically(file, content, OWNER_ONLY);
    }

    /**
     * Writes public {@code content} (a certificate, a CRL) to {@code file} atomically, readable by everyone (0644),
     * so that a daemon running as another user (a broker) can read it. Never use it for a secret.
     */
    public static void writePublicAtomically(final Path file, final byte[] content) throws IOException {
        writeAtomically(file, content, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static void writeAtomically(final Path file, final byte[] content, final Set<PosixFilePermission> perms)
            throws IOException {
        final Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        final Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attr(OWNER_ONLY));
        if (isPosix()) {
            // createTempFile's mode is subject to the umask: set the final mode explicitly before the rename
            Files.setPosixFilePermissions(tmp, perms);
        }
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(content);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates {@code file} owner-only with the given content; fails if it exists. */
    public static void writeNew(final Path file, final byte[] content) throws IOException {
        final Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                attr(OWNER_ONLY))) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
    }

    private static FileAttribute<?>[] attr(final Set<PosixFilePermission> perms) {
        return isPosix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(perms)} : new FileAttribute<?>[0];
    }

    private static boolean isPosix() {
        return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
