package org.cpnskeys.deploy.brokers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cpnskeys.deploy.brokers.CloudAclMatrix.Action;
import org.cpnskeys.deploy.brokers.CloudAclMatrix.Client;

/**
 * A VerneMQ {@code vmq.acl} read and checked as the vmq_acl plugin does
 * (https://docs.vernemq.com/configuring-vernemq/file-auth, and its source
 * https://github.com/vernemq/vernemq/blob/main/apps/vmq_acl/src/vmq_acl.erl):
 * <ul>
 *   <li>{@code #} starts a comment line; {@code topic [read|write] T} before any {@code user} line applies to every
 *       client, after {@code user U} to the user name U; {@code pattern [read|write] T} applies to every user, with
 *       a level that is exactly {@code %u} replaced by the user name and {@code %c} by the client id; no access
 *       type means both;</li>
 *   <li>a PUBLISH needs a write entry, a SUBSCRIBE a read entry for each filter; an entry allows when its filter
 *       matches the topic by MQTT rules (vmq_topic:match; the subscribed filter, {@code $share/group/} included, is
 *       compared word by word); nothing else is allowed (the plugin answers {@code next}, and with no other
 *       authorization plugin the client is refused).</li>
 * </ul>
 */
final class VernemqAclFile {
    private final List<String> everyone = new ArrayList<>();
    private final List<String> everyoneRead = new ArrayList<>();
    private final Map<String, List<String>> userWrite = new HashMap<>();
    private final Map<String, List<String>> userRead = new HashMap<>();
    private final List<String> patternWrite = new ArrayList<>();
    private final List<String> patternRead = new ArrayList<>();

    private VernemqAclFile() {
    }

    static VernemqAclFile parse(final String text) {
        final VernemqAclFile acl = new VernemqAclFile();
        String user = null;
        for (final String line : text.split("\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("user ")) {
                user = line.substring("user ".length()).strip();
            } else if (line.startsWith("pattern ")) {
                acl.add(line.substring("pattern ".length()), acl.patternRead, acl.patternWrite);
            } else if (line.startsWith("topic ")) {
                final String u = user;
                acl.add(line.substring("topic ".length()),
                        u == null ? acl.everyoneRead : acl.userRead.computeIfAbsent(u, k -> new ArrayList<>()),
                        u == null ? acl.everyone : acl.userWrite.computeIfAbsent(u, k -> new ArrayList<>()));
            } else {
                throw new IllegalArgumentException("vmq_acl ignores this line: '" + line + "'");
            }
        }
        return acl;
    }

    private void add(final String rest, final List<String> read, final List<String> write) {
        if (rest.startsWith("read ")) {
            read.add(rest.substring("read ".length()).strip());
        } else if (rest.startsWith("write ")) {
            write.add(rest.substring("write ".length()).strip());
        } else {
            read.add(rest.strip());
            write.add(rest.strip());
        }
    }

    boolean allows(final Client client, final Action action, final String topic) {
        final boolean write = action == Action.PUBLISH;
        final List<String> filters = new ArrayList<>(write ? everyone : everyoneRead);
        filters.addAll((write ? userWrite : userRead).getOrDefault(client.username(), List.of()));
        for (final String pattern : write ? patternWrite : patternRead) {
            filters.add(substitute(pattern, client));
        }
        return filters.stream().anyMatch(f -> CloudAclMatrix.matches(topic, f));
    }

    private static String substitute(final String pattern, final Client client) {
        final String[] words = pattern.split("/", -1);
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals("%u")) {
                words[i] = client.username();
            } else if (words[i].equals("%c")) {
                words[i] = client.clientId();
            }
        }
        return String.join("/", words);
    }
}
