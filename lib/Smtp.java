package lib;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;

/**
 * Mail over SMTP with Angus Mail: plain, STARTTLS (required, not merely
 * tried, when asked) or implicit TLS (port 465 style). Certificates and host
 * names are verified against the JDK's CAs, or a PEM file of CAs, unless
 * the user opted out with insecure.
 */
public final class Smtp implements Mail.Sender {
    public enum Security { PLAIN, STARTTLS, TLS }

    public record Settings(String host, int port, String user, String password, Security security,
                           Path caFile, boolean insecure, Duration timeout) {
        @Override
        public String toString() { // never the password
            return "SMTP " + host + ":" + port + " (" + security.name().toLowerCase()
                    + (user == null ? "" : ", user " + user) + (insecure ? ", certificates NOT verified" : "") + ")";
        }
    }

    /**
     * Times each write to the server. Without one of its own, Angus Mail
     * starts a thread pool for every connection and shuts it down after.
     */
    private static final java.util.concurrent.ScheduledExecutorService WRITE_TIMEOUTS = Watchdog.start("smtp-write-timeout");

    private final Settings settings;
    private final SSLSocketFactory sockets; // null: the JDK's default trust
    // Kept from mail to mail: a new Session looks its providers up in every jar on the class path.
    private Session session;
    private String sessionFrom; // the envelope From the session was made for

    public Smtp(Settings settings) {
        this.settings = settings;
        this.sockets = settings.caFile() == null || settings.insecure() ? null : Tls.trusting(settings.caFile()).getSocketFactory();
    }

    /** "host", "host:port", "[v6]:port"; defaultPort when none is given. */
    public static String[] hostPort(String text, int defaultPort) {
        String host = text;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("'" + text + "' is not host[:port]");
            host = text.substring(1, close);
            if (text.length() > close + 1) {
                if (text.charAt(close + 1) != ':') throw new IllegalArgumentException("'" + text + "' is not host[:port]");
                port = text.substring(close + 2);
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = text.substring(text.indexOf(':') + 1);
        }
        if (host.isEmpty()) throw new IllegalArgumentException("'" + text + "' has no host");
        int number = defaultPort;
        if (port != null) {
            try {
                number = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                number = -1;
            }
            if (number < 1 || number > 65535) throw new IllegalArgumentException("'" + text + "' has no valid port");
        }
        return new String[] {host, String.valueOf(number)};
    }

    @Override
    public void send(Mail mail) throws IOException {
        Session session = session(mail.from());
        MimeMessage message;
        try {
            message = mail.toMime(session);
        } catch (MessagingException e) {
            throw new Mail.Rejected("cannot build the mail: " + Log.describe(e)); // the same mail never builds
        }
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect(settings.host(), settings.port(), settings.user(), settings.password());
            transport.sendMessage(message, message.getAllRecipients());
        } catch (SendFailedException e) {
            Address[] sent = e.getValidSentAddresses();
            if (sent == null || sent.length == 0) throw failure(e);
            // sendpartial: the others have it, and sending it again would repeat it to them.
            List<String> deferred = deferred(e);
            if (!deferred.isEmpty()) {
                throw new Mail.Partial(mail.to(deferred), "mailed to " + Arrays.toString(sent) + " only; deferred, to be tried again: "
                        + deferred + ": " + Log.describe(e));
            }
            Log.warn("mailed '%s' to %s only; refused: %s", mail.subject(), Arrays.toString(sent), Log.describe(e));
        } catch (MessagingException e) {
            throw failure(e);
        }
    }

    /** The recipients of a partly sent mail that may yet take it: answered 4xx, or valid but not sent. */
    private static List<String> deferred(SendFailedException e) {
        java.util.Set<String> deferred = new java.util.LinkedHashSet<>();
        if (e.getValidUnsentAddresses() != null) for (Address a : e.getValidUnsentAddresses()) deferred.add(a.toString());
        for (Exception x = e; x != null; x = x instanceof MessagingException m ? m.getNextException() : null) {
            if (x instanceof SMTPAddressFailedException f && f.getReturnCode() >= 400 && f.getReturnCode() < 500) {
                deferred.add(f.getAddress().toString());
            }
        }
        return List.copyOf(deferred);
    }

    /** A 5xx reply is final (Mail.Rejected); anything else may pass, and is worth another try. */
    private IOException failure(MessagingException e) {
        String why = settings + " failed: " + Log.describe(e); // describe follows getNextException too
        int code = replyCode(e);
        return code >= 500 && code < 600 ? new Mail.Rejected(why) : new IOException(why);
    }

    /** The SMTP reply code behind a failure, or -1 when there was none (connection, TLS, timeout). */
    static int replyCode(MessagingException e) {
        for (Exception x = e; x != null; x = x instanceof MessagingException m ? m.getNextException() : null) {
            if (x instanceof SMTPSendFailedException f) return f.getReturnCode();
            if (x instanceof SMTPAddressFailedException f) return f.getReturnCode();
            if (x instanceof SMTPSenderFailedException f) return f.getReturnCode();
        }
        return -1;
    }

    private synchronized Session session(String envelopeFrom) {
        if (session == null || !envelopeFrom.equals(sessionFrom)) {
            session = Session.getInstance(properties(envelopeFrom));
            sessionFrom = envelopeFrom;
        }
        return session;
    }

    private Properties properties(String envelopeFrom) {
        Properties p = new Properties();
        String ms = String.valueOf(settings.timeout().toMillis());
        p.put("mail.smtp.host", settings.host());
        p.put("mail.smtp.port", String.valueOf(settings.port()));
        p.put("mail.smtp.connectiontimeout", ms);
        p.put("mail.smtp.timeout", ms);
        p.put("mail.smtp.writetimeout", ms);
        p.put("mail.smtp.executor.writetimeout", WRITE_TIMEOUTS);
        p.put("mail.smtp.from", envelopeFrom);
        p.put("mail.smtp.auth", String.valueOf(settings.user() != null));
        p.put("mail.smtp.sendpartial", "true"); // one refused recipient must not cost the others their alert
        if (settings.security() == Security.STARTTLS) {
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
        }
        if (settings.security() == Security.TLS) p.put("mail.smtp.ssl.enable", "true");
        if (settings.insecure()) {
            p.put("mail.smtp.ssl.trust", "*");
            p.put("mail.smtp.ssl.checkserveridentity", "false");
        } else {
            p.put("mail.smtp.ssl.checkserveridentity", "true");
            if (sockets != null) p.put("mail.smtp.ssl.socketFactory", sockets);
        }
        return p;
    }

    @Override
    public String toString() { return settings.toString(); }
}
