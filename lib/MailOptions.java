package lib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The mail options every plugin shares (a picocli mixin): SMTP delivery as an
 * alternative to the sendmail command. The password comes from the
 * SMTP_PASSWORD environment variable or a file, never from argv, where any
 * user of the machine could read it with ps.
 */
public final class MailOptions {
    public static final String PASSWORD_ENV = "SMTP_PASSWORD";

    @Option(names = "--smtp-host", paramLabel = "HOST[:PORT]",
            description = "Send mail over SMTP to this server instead of running the sendmail command.")
    String smtpHost;

    @Option(names = "--smtp-user", paramLabel = "USER", description = "SMTP login; the password is read from $"
            + PASSWORD_ENV + " or --smtp-password-file.")
    String smtpUser;

    @Option(names = "--smtp-password-file", paramLabel = "FILE", description = "File holding the SMTP password (first line).")
    Path smtpPasswordFile;

    @Option(names = "--smtp-starttls", description = "Require STARTTLS (port 25 or 587).")
    boolean starttls;

    @Option(names = "--smtp-tls", description = "Implicit TLS from the first byte (port 465).")
    boolean implicitTls;

    @Option(names = "--smtp-ca", paramLabel = "PEM", description = "Trust the CA certificates in this PEM file instead of the JDK's.")
    Path caFile;

    @Option(names = "--smtp-insecure", description = "Do not verify the server's certificate (not recommended).")
    boolean insecure;

    @Option(names = "--from", paramLabel = "ADDR", description = "From address (default: PLUGIN@HOSTNAME; for the batch plugins, the same as -f).")
    String from;

    // The batch plugins' legacy -p: accepted for old command lines, with a warning (ps shows argv to everyone).
    String argvPassword;

    /** The sender these options ask for: SMTP when --smtp-host is given, else the sendmail command. */
    public Mail.Sender sender(String sendmailCommand, Map<String, String> env) throws IOException {
        Duration timeout = Duration.ofSeconds(30);
        if (smtpHost == null) {
            if (smtpUser != null || starttls || implicitTls || caFile != null || insecure) {
                throw new IllegalArgumentException("SMTP options need --smtp-host");
            }
            return new Sendmail(sendmailCommand, timeout);
        }
        if (starttls && implicitTls) throw new IllegalArgumentException("--smtp-starttls and --smtp-tls exclude each other");
        Smtp.Security security = implicitTls ? Smtp.Security.TLS : starttls ? Smtp.Security.STARTTLS : Smtp.Security.PLAIN;
        String[] hostPort = Smtp.hostPort(smtpHost, security == Smtp.Security.TLS ? 465 : 25);
        String password = smtpPasswordFile == null && argvPassword != null ? argvPassword : password(smtpPasswordFile, env);
        if (smtpUser != null && password == null) {
            throw new IllegalArgumentException("--smtp-user needs a password: set " + PASSWORD_ENV + " or --smtp-password-file");
        }
        return new Smtp(new Smtp.Settings(hostPort[0], Integer.parseInt(hostPort[1]), smtpUser, password, security,
                caFile, insecure, timeout));
    }

    /**
     * The From address: --from, or PLUGIN@HOSTNAME. A host name that is not
     * valid in an address (my_host) would make every mail unbuildable: then
     * the From is the bare PLUGIN, a local name the mail system qualifies.
     */
    public String from(String plugin) {
        if (from != null) return Mail.address(from);
        return defaultFrom(plugin, Alert.host());
    }

    /** PLUGIN@HOST when that is a valid address, else PLUGIN alone (said once, at start). */
    public static String defaultFrom(String plugin, String host) {
        try {
            return Mail.address(plugin + "@" + host);
        } catch (IllegalArgumentException e) {
            Log.warn("the host name '%s' cannot be part of a mail address: mail goes from '%s' (give --from to choose)", host, plugin);
            return plugin;
        }
    }

    /** Said at start: an SMTP server may refuse an address without a domain, which sendmail -t delivers locally. */
    public static void warnIfLocal(Mail.Sender sender, String from, List<String> to) {
        if (!(sender instanceof Smtp)) return;
        List<String> local = new ArrayList<>();
        if (Mail.isLocal(from)) local.add(from);
        for (String a : to) if (Mail.isLocal(a)) local.add(a);
        if (!local.isEmpty()) {
            Log.warn("%s have no domain: an SMTP server may refuse them (the sendmail command delivers them to local mailboxes)",
                    String.join(", ", local));
        }
    }

    /** A password from a file (its first line) or, without one, from $SMTP_PASSWORD; null if neither. */
    public static String password(Path file, Map<String, String> env) throws IOException {
        if (file != null) {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int end = text.indexOf('\n');
                return (end < 0 ? text : text.substring(0, end)).replace("\r", "");
            } catch (IOException e) {
                throw new IOException("cannot read the password file " + file + ": " + e.getMessage());
            }
        }
        return env.get(PASSWORD_ENV);
    }
}
