//DEPS org.eclipse.angus:angus-mail:2.0.5
package lib;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Date;
import java.util.List;
import java.util.Properties;

/**
 * One plain-text mail. Header values are stripped of CR and LF, because
 * they are built from event data (process names, optional headers) and a
 * newline there would start a header of the attacker's choosing.
 * Date and Message-ID are added when the message is built.
 */
public record Mail(String from, List<String> to, String subject, String body) {
    static {
        // Named, Jakarta Mail's stream provider is one class lookup. Unnamed, every message written
        // looks it up with a ServiceLoader, which opens every jar on the class path (a third of a mail's CPU).
        if (System.getProperty("jakarta.mail.util.StreamProvider") == null)
            System.setProperty("jakarta.mail.util.StreamProvider", "org.eclipse.angus.mail.util.MailStreamProvider");
    }

    /** How a mail leaves: the sendmail command or SMTP. */
    public interface Sender {
        void send(Mail mail) throws IOException;

        /** What sending is called in the log: "mail" (mailed, could not mail), "post" for web channels. */
        default String verb() { return "mail"; }

        /** The message that stands for folded ones, shaped as this sender sends (a web channel: its JSON). */
        default Mail notice(Mail template, String subject, String text) { return new Mail(template.from(), template.to(), subject, text); }
    }

    /** The server refused this mail for good (SMTP 5xx), or it cannot be built: sending it again would fail again. */
    public static final class Rejected extends IOException {
        public Rejected(String message) { super(message); }
    }

    /** Some recipients have the mail; `rest` is the same mail to those deferred (4xx), to be tried again. */
    public static final class Partial extends IOException {
        private final transient Mail rest;

        public Partial(Mail rest, String message) {
            super(message);
            this.rest = rest;
        }

        public Mail rest() { return rest; }
    }

    /** The same mail to other recipients. */
    public Mail to(List<String> recipients) { return new Mail(from, recipients, subject, body); }

    public Mail {
        from = header(from);
        to = to.stream().map(Mail::header).toList();
        subject = header(subject);
        if (to.isEmpty()) throw new IllegalArgumentException("a mail needs at least one recipient");
    }

    /** A header value on one line: CR and LF become spaces. */
    public static String header(String value) {
        return value == null ? "" : value.replaceAll("[\r\n]+", " ");
    }

    /**
     * Checks an address the way sending it will; the message names the bad
     * one. A bare local part ("root", "ops") is a local mailbox or alias,
     * which sendmail -t delivers: accepted, as superlance accepted it.
     */
    public static String address(String text) {
        if (isLocal(text)) {
            if (!text.matches("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")) {
                throw new IllegalArgumentException("'" + text + "' is not a mail address or a local mailbox name");
            }
            return text;
        }
        try {
            new InternetAddress(text, true);
            return text;
        } catch (AddressException e) {
            throw new IllegalArgumentException("'" + text + "' is not a mail address: " + e.getMessage());
        }
    }

    /** True for a local mailbox name without a domain ("root"). */
    public static boolean isLocal(String address) { return address.indexOf('@') < 0; }

    private static InternetAddress internet(String address) throws AddressException {
        return new InternetAddress(address, !isLocal(address)); // strict parsing wants a domain
    }

    /** "a@x, b@y" to its addresses, each checked; none at all is an error too. */
    public static List<String> addresses(String list) {
        // strip, not trim: trim would also drop control characters, which must be refused, not hidden
        List<String> all = java.util.Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (all.isEmpty()) throw new IllegalArgumentException("no address in '" + list + "'");
        for (String address : all) address(address);
        return all;
    }

    MimeMessage toMime(Session session) throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(internet(from));
        InternetAddress[] recipients = new InternetAddress[to.size()];
        for (int i = 0; i < recipients.length; i++) recipients[i] = internet(to.get(i));
        message.setRecipients(Message.RecipientType.TO, recipients);
        if (!subject.isEmpty()) message.setSubject(subject, "UTF-8"); // crashsms sends none by default
        message.setSentDate(new Date());
        message.setText(body, "UTF-8");
        message.saveChanges(); // adds Message-ID and MIME headers
        return message;
    }

    /** Made when first needed, then kept: a new Session looks its providers up in every jar on the class path. */
    private static final class Plain {
        static final Session SESSION = Session.getInstance(new Properties());
    }

    /** The whole message as RFC 5322 text, for the sendmail command's stdin. */
    byte[] toBytes() throws IOException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            toMime(Plain.SESSION).writeTo(out);
            return out.toByteArray();
        } catch (MessagingException e) {
            throw new Rejected("cannot build the mail: " + e.getMessage()); // the same mail never builds
        }
    }
}
