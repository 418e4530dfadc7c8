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
    /**
     * What happened to one process. exitStatus is null when not known. time
     * is when the trouble started (Alertmanager's startsAt); resolved when
     * this reports that it ended (a recovery).
     */
    public record Event(Kind kind, String group, String process, int pid, String fromState, Integer exitStatus, Instant time,
                        boolean resolved) {
        public Event(Kind kind, String group, String process, int pid, String fromState, Integer exitStatus, Instant time) {
            this(kind, group, process, pid, fromState, exitStatus, time, false);
        }

        /** The same process's trouble, ended: its identity (kind, group, process) and start kept. */
        public Event resolvedNow() { return new Event(kind, group, process, pid, fromState, exitStatus, time, true); }

        public String status() { return resolved ? "resolved" : "firing"; }
    }

    /** "resolved" when every event it reports has ended (a recovery notice), else "firing". */
    public String status() {
        return !events.isEmpty() && events.stream().allMatch(Event::resolved) ? "resolved" : "firing";
    }

    /** This alert's events, ended, under a new subject and text: the recovery notice of the same trouble. */
    public Alert resolved(String subject, String text) {
        return new Alert(plugin, subject, text, events.stream().map(Event::resolvedNow).toList(), null);
    }

    /** The kinds of alert, with the alertname each has in Alertmanager. */
    public enum Kind {
        CRASH("SupervisorProcessCrashed"), FATAL("SupervisorProcessFatal"), MEMORY("SupervisorMemoryRestart"),
        HEALTH("SupervisorHealthCheckFailed"), GIVEN_UP("SupervisorRestartsGivenUp"),
        TEST("SupervisorTestAlert");

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
