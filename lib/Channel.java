package lib;

import java.time.Duration;

/**
 * Where an alert goes besides mail: a webhook, Slack, Alertmanager
 * (WebChannel), PagerDuty, a command (ExecChannel). Each renders an Alert
 * as the message it sends, queued on its own outbox like mail, and sends
 * it: a Mail.Rejected is final, any other IOException is retried.
 */
public interface Channel extends Mail.Sender {
    /** The alert as this channel's message, ready to queue. */
    Mail envelope(Alert alert);

    /** True for a channel that is told when trouble ends (it resolves what it shows): recoveries always go to it. */
    default boolean keepsState() { return false; }

    /** How long its alerts stay open unless sent again (Alertmanager), or null when they do not end by themselves. */
    default Duration expiresAfter() { return null; }

    /** The plugin's ticks come this far apart (an expiring alert must outlive three of them). */
    default void ticksEvery(Duration tick) {}

    /** For the start-up line: how it is reached ("direct", a proxy, a command). */
    default String route() { return "direct"; }

    @Override
    default String verb() { return "post"; }

    @Override
    default Mail notice(Mail template, String subject, String text) {
        return envelope(new Alert("superlance-jbang", subject, text, java.util.List.of(), null));
    }
}
