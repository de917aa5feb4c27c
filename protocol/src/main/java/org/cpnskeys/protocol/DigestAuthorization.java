package org.cpnskeys.protocol;

import java.util.regex.Pattern;

/**
 * The digest response a requester attaches to a Key Request after a challenge (RFC 2617 section 3.2.2 fields;
 * method KEY-REQUEST, qop auth, algorithm MD5).
 */
public record DigestAuthorization(String username, String realm, String nonce, String uri, String qop, String nc,
        String cnonce, String response) {
    private static final Pattern NC = Pattern.compile("[0-9a-f]{8}");
    private static final Pattern CNONCE = Pattern.compile("[A-Za-z0-9_-]{8,64}");
    static final Pattern NONCE = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern RESPONSE = Pattern.compile("[0-9a-f]{32}");
    static final Pattern REALM = Pattern.compile("[\\x20-\\x7e&&[^\"\\\\:]]{1,64}");

    public DigestAuthorization {
        UserId.of(username);
        check(realm, REALM, "authorization.realm");
        check(nonce, NONCE, "authorization.nonce");
        if (uri == null || uri.length() > 200) {
            throw new IllegalArgumentException("authorization.uri is not valid");
        }
        if (!"auth".equals(qop)) {
            throw new IllegalArgumentException("authorization.qop must be \"auth\"");
        }
        check(nc, NC, "authorization.nc (8 lower-case hex digits)");
        check(cnonce, CNONCE, "authorization.cnonce (8-64 of A-Z a-z 0-9 _ -)");
        check(response, RESPONSE, "authorization.response (32 lower-case hex digits)");
    }

    public UserId userId() {
        return UserId.of(username);
    }

    static void check(final String v, final Pattern p, final String what) {
        if (v == null || !p.matcher(v).matches()) {
            throw new IllegalArgumentException(what + " is not valid");
        }
    }

    @Override
    public String toString() {
        return "DigestAuthorization[username=" + username + ", nc=" + nc + ", response=redacted]";
    }
}
