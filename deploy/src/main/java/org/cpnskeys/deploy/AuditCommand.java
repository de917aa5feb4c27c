package org.cpnskeys.deploy;

import picocli.CommandLine.Command;

/** {@code cpns audit}: checks the server's hash-chained audit log. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Checks the server's audit log (<data>/audit.jsonl) against its hash chain and the store's head.",
        subcommands = {AuditVerifyCommand.class})
public final class AuditCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
