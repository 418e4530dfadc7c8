import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** A test's GreenMail, and what it received. */
final class Mails {
    private Mails() {}

    /** A real SMTP server on 127.0.0.1:port, started; the test stops it. */
    static GreenMail smtp(int port) {
        GreenMail server = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        server.start();
        return server;
    }

    /** The mails addressed to this address, in the order they came; one per Message-ID (GreenMail keeps a copy per recipient). */
    static List<MimeMessage> to(GreenMail server, String address) {
        List<MimeMessage> mails = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try {
            for (MimeMessage m : server.getReceivedMessages()) {
                if (Arrays.stream(m.getRecipients(Message.RecipientType.TO)).anyMatch(a -> a.toString().equals(address))
                        && seen.add(m.getMessageID())) mails.add(m);
            }
        } catch (MessagingException e) {
            throw new AssertionError(e);
        }
        return mails;
    }
}
