package org.cpnskeys.broker;

import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/** Reads the subject CN of a certificate. */
final class CommonNames {
    private CommonNames() {
    }

    /** The subject's single CN; empty when there is none, more than one, or it is not a string. */
    static Optional<String> of(final X509Certificate certificate) {
        try {
            final LdapName name = new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
            String cn = null;
            for (final Rdn rdn : name.getRdns()) {
                if (rdn.size() != 1 && "CN".equalsIgnoreCase(rdn.getType())) {
                    return Optional.empty();
                }
                if ("CN".equalsIgnoreCase(rdn.getType())) {
                    if (cn != null || !(rdn.getValue() instanceof String)) {
                        return Optional.empty();
                    }
                    cn = (String) rdn.getValue();
                }
            }
            return Optional.ofNullable(cn);
        } catch (InvalidNameException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
