package lib;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a plugin's alerts go: mail (when -m or -t gave recipients) and each
 * channel, every one through its own outbox, so that sending never holds an
 * event and one that is down never holds another.
 */
public final class Alerts {
    private final Outbox mail; // null without recipients
    private final String from;
    private final List<String> to;
    private final List<Channel> channels;
    private final List<Outbox> channelOutboxes = new ArrayList<>();

    public Alerts(Outbox mail, String from, List<String> to, List<Channel> channels, String plugin) {
        this.mail = mail;
        this.from = from;
        this.to = to;
        this.channels = channels;
        for (Channel c : channels) channelOutboxes.add(new Outbox(c, plugin));
    }

    /** True when alerts go anywhere at all. */
    public boolean any() { return mail != null || !channels.isEmpty(); }

    /** True when some channel keeps alerts open and is told when they end (Alertmanager): recoveries are then always tracked. */
    public boolean keepsState() { return channels.stream().anyMatch(Channel::keepsState); }

    /** Queues the alert everywhere and returns at once. */
    public void send(Alert alert) {
        if (mail != null) mail.submit(new Mail(from, to, alert.subject(), alert.text()));
        for (int i = 0; i < channels.size(); i++) channelOutboxes.get(i).submit(channels.get(i).envelope(alert));
    }

    /**
     * A recovery (an alert whose events are resolved): everywhere when the
     * user asked for recovery notices, else only to the channels that keep
     * alerts open, so that Alertmanager resolves what it shows.
     */
    public void recovered(Alert alert, boolean notices) {
        if (notices) send(alert);
        else stateful(alert);
    }

    /** The open alert again, only where it would otherwise end by itself. */
    public void repost(Alert alert) {
        for (int i = 0; i < channels.size(); i++) {
            if (channels.get(i).expiresAfter() != null) channelOutboxes.get(i).submit(channels.get(i).envelope(alert));
        }
    }

    private void stateful(Alert alert) {
        for (int i = 0; i < channels.size(); i++) {
            if (channels.get(i).keepsState()) channelOutboxes.get(i).submit(channels.get(i).envelope(alert));
        }
    }

    /**
     * The plugin's ticks come this many seconds apart: an open alert, posted
     * again at a tick, must outlive three of them.
     */
    public void ticksEvery(int seconds) {
        for (Channel c : channels) c.ticksEvery(Duration.ofSeconds(seconds));
    }

    /**
     * How often an open alert is posted again: about every minute, or a third of
     * the shortest --alertmanager-ends-after if that is less, and at most
     * once a tick (ticks this many seconds apart; 0 for a plugin with its own clock).
     */
    public long repostMillis(int tickSeconds) {
        long every = 60_000;
        for (Channel c : channels) if (c.expiresAfter() != null) every = Math.min(every, c.expiresAfter().toMillis() / 3);
        return Math.max(every, tickSeconds * 1000L) * 9 / 10; // a little early: a tick late by a moment does not skip a post
    }

    /**
     * True when at least one destination has nothing waiting (or there is
     * none): the batch plugins then send their next batch. Gating on all
     * of them would let one channel that is down hold the others' alerts.
     */
    public boolean anyIdle() {
        List<Outbox> all = all();
        return all.isEmpty() || all.stream().anyMatch(Outbox::idle);
    }

    /**
     * --test-alert: a test alert to every destination now, one bounded try
     * each (no outbox, no retry), one line each on stderr; the exit status:
     * 0 when every destination took it, 1 otherwise (or with none at all).
     */
    public int testAlert(String plugin) {
        if (!any()) {
            Log.error("--test-alert: no destination to test: give -m ADDR (crashmailbatch, fatalmailbatch, crashsms: -t and -f), "
                    + "--webhook, --slack, --alertmanager, --pagerduty or --exec");
            return 1;
        }
        String host = Alert.host();
        List<String> where = new ArrayList<>();
        if (mail != null) where.add(mailDestination());
        for (Channel c : channels) where.add(c.toString());
        Alert alert = new Alert(plugin, plugin + " [test]: test alert from " + host, "This is a test alert from " + plugin + " on "
                + host + ", sent by --test-alert with the options of its command line, to:\n  " + String.join("\n  ", where)
                + "\n\nIf you read this here, this listener's alerts reach you here. Nothing is wrong.\n",
                List.of(new Alert.Event(Alert.Kind.TEST, "", "", 0, "", null, java.time.Instant.now())), null);
        boolean all = true;
        if (mail != null) all &= once(mail.sender(), new Mail(from, to, alert.subject(), alert.text()), mailDestination());
        for (Channel c : channels) all &= once(c, c.envelope(alert), c.toString());
        return all ? 0 : 1;
    }

    private String mailDestination() { return "mail to " + String.join(", ", to) + " via " + mail.sender(); }

    /** One try, bounded by the sender's own timeouts; the line says what happened, never a secret. */
    private static boolean once(Mail.Sender sender, Mail message, String where) {
        try {
            sender.send(message);
            Log.info("%s: sent", where);
            return true;
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (why.startsWith(where)) why = why.substring(where.length()).replaceFirst("^:? *", "");
            why = why.replace(sender + " failed: ", ""); // the line names the server already
            Log.error("%s: failed: %s", where, why);
            return false;
        }
    }

    /** At exit: every outbox keeps trying until the limit; they send side by side, so it is waited for once. */
    public boolean drain(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (Outbox o : all()) o.hurry();
        boolean all = true;
        for (Outbox o : all()) all &= o.drain(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        return all;
    }

    /** Ends every sending thread now, leaving what waits unsent (tests; a plugin drains). */
    public void stop() throws InterruptedException {
        for (Outbox o : all()) o.stop();
    }

    private List<Outbox> all() {
        List<Outbox> all = new ArrayList<>(channelOutboxes);
        if (mail != null) all.add(0, mail);
        return all;
    }
}
