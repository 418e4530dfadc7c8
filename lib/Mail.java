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
    /** How a mail leaves: the sendmail command or SMTP. */
    public interface Sender {
        void send(Mail mail) throws IOException;
    }

    /** The server refused this mail for good (SMTP 5xx): sending it again would only be refused again. */
    public static final class Rejected extends IOException {
        public Rejected(String message) { super(message); }
    }

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

    /** Checks an address the way sending it will; the message names the bad one. */
    public static String address(String text) {
        try {
            new InternetAddress(text, true);
            return text;
        } catch (AddressException e) {
            throw new IllegalArgumentException("'" + text + "' is not a mail address: " + e.getMessage());
        }
    }

    /** "a@x, b@y" to its addresses, each checked; none at all is an error too. */
    public static List<String> addresses(String list) {
        List<String> all = java.util.Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (all.isEmpty()) throw new IllegalArgumentException("no address in '" + list + "'");
        for (String address : all) address(address);
        return all;
    }

    MimeMessage toMime(Session session) throws MessagingException {
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(from, true));
        InternetAddress[] recipients = new InternetAddress[to.size()];
        for (int i = 0; i < recipients.length; i++) recipients[i] = new InternetAddress(to.get(i), true);
        message.setRecipients(Message.RecipientType.TO, recipients);
        if (!subject.isEmpty()) message.setSubject(subject, "UTF-8"); // crashsms sends none by default
        message.setSentDate(new Date());
        message.setText(body, "UTF-8");
        message.saveChanges(); // adds Message-ID and MIME headers
        return message;
    }

    /** The whole message as RFC 5322 text, for the sendmail command's stdin. */
    byte[] toBytes() throws IOException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            toMime(Session.getInstance(new Properties())).writeTo(out);
            return out.toByteArray();
        } catch (MessagingException e) {
            throw new IOException("cannot build the mail: " + e.getMessage(), e);
        }
    }
}
