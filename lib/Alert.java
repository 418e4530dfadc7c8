package lib;

import java.time.Instant;
import java.util.List;

/**
 * What a plugin has to say, once, whatever carries it: its subject and text
 * (the mail's subject and body, superlance's lines first), the events it
 * reports, and the log excerpt where the plugin has one. Each channel
 * renders it: mail, webhook JSON, Slack text, Alertmanager alerts.
 */
public record Alert(String plugin, String subject, String text, List<Event> events, String excerpt) {
    /** What happened to one process. exitStatus is null when not known. */
    public record Event(Kind kind, String group, String process, int pid, String fromState, Integer exitStatus, Instant time) {}

    /** The kinds of alert, with the alertname each has in Alertmanager. */
    public enum Kind {
        CRASH("SupervisorProcessCrashed"), FATAL("SupervisorProcessFatal"), MEMORY("SupervisorMemoryRestart"),
        HEALTH("SupervisorHealthCheckFailed");

        public final String alertname;

        Kind(String alertname) { this.alertname = alertname; }

        public String label() { return name().toLowerCase(); }
    }

    /** This machine's name, as alerts give it (and the default From address). */
    public static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** An event of a PROCESS_STATE_* event from supervisord, now. */
    public static Event of(Kind kind, lib.Event e) {
        return new Event(kind, e.groupName(), e.processName(), e.pid(), e.fromState(), null, Instant.now());
    }

    /** An event about a process as supervisord reported it (its state now), now. */
    public static Event of(Kind kind, ProcessInfo p) {
        return new Event(kind, p.group(), p.name(), p.pid(), p.statename(), null, Instant.now());
    }
}
