package org.cpnskeys.deploy;

import java.util.ServiceLoader;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cpns} launcher. Every option can also come from the environment (the {@code CPNS_*} variable
 * named in its help) or from a file of arguments given as {@code @file}. Errors go through {@link CliErrors}:
 * one line {@code cpns: <what went wrong>}, exit 2 for a usage mistake and 1 otherwise.
 */
@Command(name = "cpns", mixinStandardHelpOptions = true, versionProvider = Cpns.Version.class,
        description = {"CPNS Keys: EUKey assignment for personal devices (PNEs) through their home gateway (PN GW).",
                "Run 'cpns demo' to watch three PNEs get their EUKeys.", ""},
        subcommands = {DemoCommand.class, ServerCommand.class, GatewayCommand.class, PneCommand.class,
                BrokerCommand.class, UserCommand.class, KeysCommand.class, AuditCommand.class})
public final class Cpns implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = CliErrors.VERBOSE, scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, also print its stack trace (or set env " + CliErrors.DEBUG_ENV + "=1).")
    boolean verbose;

    /** The JDK's property for the common pool's size; see {@link #commonPoolAtLeastTwo()}. */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(final String[] args) {
        LogOptions.apply(args);
        StartupLogs.install(java.util.Arrays.asList(args).contains(CliErrors.VERBOSE) || CliErrors.debug());
        commonPoolAtLeastTwo();
        System.exit(commandLine().execute(args));
    }

    /**
     * On a machine with two cores the JDK sizes the common ForkJoinPool to one thread, and then Hazelcast (the
     * cluster of servers) completes every asynchronous map operation on a new thread of its own: a thread
     * created per replay check and failure count, which cost a clustered server most of a core in the kernel
     * (measured with {@code cpns bench --cloud-only}). Two threads avoid that. Set before anything uses the
     * pool; an explicit {@code -D} setting wins.
     */
    static void commonPoolAtLeastTwo() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_POOL_PARALLELISM, "2");
        }
    }

    /**
     * The configured command line (tests run commands through it too): the commands above, then every
     * {@link LauncherCommand} on the class path (the load generator's {@code bench}), then {@code help}.
     */
    public static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new Cpns());
        ServiceLoader.load(LauncherCommand.class).forEach(cli::addSubcommand);
        cli.addSubcommand(new CommandLine.HelpCommand());
        // after the last addSubcommand: picocli applies these to the subcommands present when they are called
        return CliErrors.install(cli.setCaseInsensitiveEnumValuesAllowed(true));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The version from the jar's manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = Cpns.class.getPackage().getImplementationVersion();
            return new String[] {"cpns " + (v == null ? "development build" : v)};
        }
    }
}
