package org.cpnskeys.deploy;

/**
 * A {@code cpns} subcommand that lives in a module built after this one (the load generator's {@code cpns bench}
 * in {@code bench/}, which depends on this module): a picocli {@code @Command} class with a public no-argument
 * constructor, named in its jar's {@code META-INF/services/org.cpnskeys.deploy.LauncherCommand}. The launcher finds
 * it with {@link java.util.ServiceLoader} on the class path, so the module graph stays acyclic.
 */
public interface LauncherCommand {
}
