package org.cpnskeys.deploy;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cpns} launcher. Every option can also come from the environment (the {@code CPNS_*} variable
 * named in its help) or from a file of arguments given as {@code @file}.
 */
@Command(name = "cpns", mixinStandardHelpOptions = true, versionProvider = Cpns.Version.class,
        description = {"CPNS Keys: EUKey assignment for personal devices (PNEs) through their home gateway (PN GW).",
                "Run 'cpns demo' to watch three PNEs get their EUKeys.", ""},
        subcommands = {DemoCommand.class, ServerCommand.class, GatewayCommand.class, PneCommand.class,
                BrokerCommand.class, UserCommand.class, KeysCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Cpns implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        LogOptions.apply(args);
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run commands through it too). */
    public static CommandLine commandLine() {
        return new CommandLine(new Cpns()).setCaseInsensitiveEnumValuesAllowed(true);
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
