package lib;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options crashmailbatch, fatalmailbatch and crashsms share, under
 * superlance's names (a picocli mixin, used next to MailOptions). Mail goes
 * over SMTP to localhost unless -H or --smtp-host says where, or
 * --sendmail_program asks for the sendmail command instead.
 */
public final class BatchOptions {
    @Option(names = {"-i", "--interval"}, paramLabel = "MIN", defaultValue = "1.0",
            description = "Batch length in minutes (default: ${DEFAULT-VALUE}); one mail per interval at most.")
    double interval;

    @Option(names = {"-t", "--toEmail"}, paramLabel = "A,B",
            description = "Recipients, comma separated (required unless --webhook, --slack or --alertmanager is given).")
    String toEmail;

    @Option(names = {"-f", "--fromEmail"}, paramLabel = "ADDR", description = "Sender address (required with -t; --from is the same).")
    String fromEmail;

    @Option(names = {"-s", "--subject"}, paramLabel = "TEXT", description = "Mail subject.")
    String subject;

    @Option(names = {"-T", "--addText"}, paramLabel = "TEXT", description = "Text added to the mail body after the messages.")
    String text;

    @Option(names = {"-H", "--smtpHost"}, paramLabel = "HOST[:PORT]",
            description = "SMTP server (default: localhost); the same as --smtp-host.")
    String smtpHost;

    @Option(names = {"-e", "--tickEvent"}, paramLabel = "TICK_N", defaultValue = "TICK_60",
            description = "Kept for old command lines (default: ${DEFAULT-VALUE}). Any TICK event the listener is "
                    + "subscribed to advances the batch clock by its own length.")
    String tickEvent;

    @Option(names = {"-u", "--userName"}, paramLabel = "USER", description = "SMTP login; the same as --smtp-user.")
    String user;

    @Option(names = {"-p", "--password"}, paramLabel = "PASSWORD",
            description = "SMTP password. Visible to every user in ps: prefer $" + MailOptions.PASSWORD_ENV
                    + " or --smtp-password-file.")
    String password;

    @Option(names = "--tls", description = "Require STARTTLS, certificate verified; the same as --smtp-starttls.")
    boolean tls;

    @Option(names = "--log-lines", paramLabel = "N", defaultValue = "0",
            description = "Add, for each process in the mail, how its last crash ended and the last N lines of its log "
                    + "(and for a failed start, supervisord's reason); asks supervisord, so it needs SUPERVISOR_SERVER_URL "
                    + "(default: ${DEFAULT-VALUE}, off).")
    int logLines;

    @Option(names = "--sendmail_program", paramLabel = "CMD",
            description = "Send through this sendmail command (run without a shell) instead of SMTP.")
    String sendmail;

    /**
     * Checks the options and builds the plugin's mailer. Bad values are usage
     * errors (exit 2) that name the option.
     */
    public BatchMailer mailer(CommandSpec spec, MailOptions mail, ChannelOptions channelOptions, String plugin, String defaultSubject,
                              Alert.Kind kind, Function<Batch.Lines, String> body, Map<String, String> env) throws IOException {
        if (!(interval > 0) || Double.isInfinite(interval)) {
            throw Cli.usage(spec, "Invalid value for option '--interval': " + interval + " is not a number of minutes above 0");
        }
        if (!tickEvent.matches("TICK_[0-9]+")) {
            throw Cli.usage(spec, "Invalid value for option '--tickEvent': '" + tickEvent + "' is not TICK_5, TICK_60 or TICK_3600");
        }
        if (logLines < 0) throw Cli.usage(spec, "Invalid value for option '--log-lines': " + logLines + " is below 0");
        // Mail is optional once another channel is given; without any, -t and -f are required as in superlance.
        Outbox mailbox = null;
        List<String> to = null;
        String from = fromEmail != null ? fromEmail : mail.from;
        String subjectLine = subject != null ? subject : defaultSubject;
        if (toEmail == null && !channelOptions.any()) throw Cli.usage(spec, "Missing required option: '--toEmail=A,B'");
        if (toEmail != null) {
            to = Cli.checked(spec, "--toEmail", () -> Mail.addresses(toEmail));
            if (from == null) throw Cli.usage(spec, "Missing required option: '--fromEmail=ADDR'");
            Cli.checked(spec, "--fromEmail", () -> Mail.address(from));
            Mail.Sender sender = sender(spec, mail, env);
            MailOptions.warnIfLocal(sender, from, to);
            mailbox = new Outbox(sender, plugin);
            Log.info("batching every %s min (%s); mail to %s via %s", interval, tickEvent, String.join(", ", to), sender);
        } else {
            Log.info("batching every %s min (%s); no mail (no -t)", interval, tickEvent);
        }
        List<Channel> channels = Cli.checked(spec, "--webhook/--slack/--alertmanager/--pagerduty/--exec", () -> {
            try {
                return channelOptions.channels(plugin, env);
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        });
        String extra = text == null ? "" : "\n" + text + "\n";
        // --test-alert needs no supervisord: no log to read then.
        Postmortem postmortem = logLines > 0 && !channelOptions.testAlert() ? Postmortem.forListener(env, logLines) : null;
        return new BatchMailer(new Batch(interval, BatchMailer.CAPACITY), new Alerts(mailbox, from, to, channels, plugin),
                lines -> new Alert(plugin, subjectLine, body.apply(lines) + extra, lines.events(), null), kind, postmortem);
    }

    /** The legacy names fill in the shared SMTP options; the same setting given twice differently is an error. */
    private Mail.Sender sender(CommandSpec spec, MailOptions mail, Map<String, String> env) throws IOException {
        mail.smtpHost = same(spec, "--smtpHost", smtpHost, "--smtp-host", mail.smtpHost);
        mail.smtpUser = same(spec, "--userName", user, "--smtp-user", mail.smtpUser);
        mail.starttls |= tls;
        if (sendmail != null) {
            if (mail.smtpHost != null) throw Cli.usage(spec, "--sendmail_program and an SMTP host exclude each other");
            return mail.sender(sendmail, env);
        }
        if (mail.smtpHost == null) mail.smtpHost = "localhost";
        if (password != null) {
            Log.warn("the SMTP password was given with -p, where any local user can read it with ps; "
                    + "prefer $%s or --smtp-password-file", MailOptions.PASSWORD_ENV);
            if (mail.smtpUser == null) Log.warn("-p without -u: no SMTP login is made (as superlance did)");
            mail.argvPassword = password;
        }
        return mail.sender(null, env);
    }

    private static String same(CommandSpec spec, String legacyName, String legacy, String name, String value) {
        if (legacy == null) return value;
        if (value != null && !value.equals(legacy)) {
            throw Cli.usage(spec, legacyName + " and " + name + " say different things: give one of them");
        }
        return legacy;
    }
}
