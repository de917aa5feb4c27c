package org.cpnskeys.protocol;

import java.util.regex.Pattern;

/** Validation shared by the identifier value types; none of them may carry MQTT wildcards or separators. */
final class Identifiers {
    /** Letters, digits, dot, underscore and dash; 1 to 64 characters; not starting with a dot; never "..". */
    static final Pattern ID = Pattern.compile("(?!.*\\.\\.)[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");
    /** User IDs may also hold '@' (e-mail style); never ':' since htdigest uses it as separator. */
    static final Pattern USER = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._@+-]{0,63}");

    private Identifiers() {
    }

    static String check(final String value, final Pattern pattern, final String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (!matches(value, pattern == USER)) {
            throw new IllegalArgumentException(what + " is not valid (1-64 of A-Z a-z 0-9 . _ -" 
                    + (pattern == USER ? " @ +" : "") + ", not starting with '.'" + (pattern == USER ? "" : ", no \"..\"")
                    + ")");
        }
        return value;
    }

    /**
     * What {@link #ID} (or, with {@code user}, {@link #USER}) matches, checked by hand: every Key Request and
     * Key Delivery carries several identifiers, and the regular expression showed in the profile.
     */
    static boolean matches(final String value, final boolean user) {
        final int n = value.length();
        if (n < 1 || n > 64) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            final char c = value.charAt(i);
            final boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
                    || c == '-' || i > 0 && (c == '.' || user && (c == '@' || c == '+'));
            if (!ok || !user && c == '.' && value.charAt(i - 1) == '.') {
                return false;
            }
        }
        return true;
    }
}
