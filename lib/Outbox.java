package lib;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Mails waiting to go out, sent in order by one background thread. The
 * listener thread only queues, so a slow or dead mail server never holds an
 * event unanswered (supervisord's buffer holds 10 events by default).
 *
 * A failed send keeps the mail at the head of the queue and is retried after
 * a delay that doubles from 5 s up to 5 min: no alert is lost while the
 * server is down. Past `capacity` queued mails the oldest are folded into one
 * notice that lists their subjects, so even then the fact is kept.
 * A mail the server refuses for good (5xx), or that cannot be built at all,
 * is not retried, which would hold every later alert behind it: its whole
 * text goes to the log instead. When some recipients took a mail and others
 * were only deferred (4xx), the next tries go to those others alone.
 */
public final class Outbox {
    /** How long a plugin keeps sending at exit: supervisord's stopwaitsecs is 10 s by default, then SIGKILL. */
    public static final Duration AT_EXIT = Duration.ofSeconds(8);
    static final int MAX_FOLDED_SUBJECTS = 1000;

    private final Mail.Sender sender;
    private final String plugin;
    private final int capacity;
    private final Duration firstRetry;
    private final Duration maxRetry;
    private final Deque<Mail> queue = new ArrayDeque<>();
    private final List<String> foldedSubjects = new ArrayList<>();
    private long folded;
    private Mail foldedTemplate; // From and To of the folded mails, for the notice
    private boolean sending;
    private boolean hurry; // shutting down: retry every second instead of backing off
    private long retryAt = System.nanoTime(); // no send before this (System.nanoTime) after a failure
    private Thread worker;
    private boolean stopped;

    public Outbox(Mail.Sender sender, String plugin) {
        this(sender, plugin, 1000, Duration.ofSeconds(5), Duration.ofMinutes(5));
    }

    public Outbox(Mail.Sender sender, String plugin, int capacity, Duration firstRetry, Duration maxRetry) {
        this.sender = sender;
        this.plugin = plugin;
        this.capacity = capacity;
        this.firstRetry = firstRetry;
        this.maxRetry = maxRetry;
    }

    /**
     * Queues a mail and returns at once. The oldest mail may be folded while
     * the worker is sending it; if that send succeeds, done() takes it out of
     * the notice again.
     */
    public synchronized void submit(Mail mail) {
        if (queue.size() >= capacity) fold(queue.poll());
        queue.add(mail);
        if (worker == null && !stopped) { // started on the first mail: a listener that never mails never pays for it
            worker = new Thread(this::deliverForever, plugin + "-outbox");
            worker.setDaemon(true);
            worker.start();
        }
        notifyAll();
    }

    /** What sends this outbox's mails. */
    public Mail.Sender sender() { return sender; }

    /** Mails queued or being sent. */
    public synchronized int pending() {
        return queue.size() + (folded > 0 ? 1 : 0);
    }

    /** True when nothing waits and nothing is being sent. */
    public synchronized boolean idle() {
        return pending() == 0 && !sending;
    }

    /** Shutting down: from now on a failed send is tried again every second. */
    public synchronized void hurry() {
        hurry = true;
        retryAt = Math.min(retryAt, System.nanoTime() + Duration.ofSeconds(1).toNanos());
        notifyAll();
    }

    /**
     * For shutdown: keeps trying (every second) until everything is sent or
     * the time is up. Returns true when nothing is left.
     */
    public synchronized boolean drain(Duration limit) {
        hurry();
        long deadline = System.nanoTime() + limit.toNanos();
        while (!idle()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // The last place the alert can survive is the listener's log, which supervisord keeps.
                Log.error("giving up at exit: %d mail(s) not sent; their text follows", pending());
                if (folded > 0) {
                    Mail notice = foldNotice();
                    Log.error("unsent: %s\n%s", notice.subject(), notice.body());
                }
                for (Mail mail : queue) Log.error("unsent: %s\n%s", mail.subject(), mail.body());
                return false;
            }
            try {
                wait(Math.max(1, Math.min(left / 1_000_000, 200)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Ends the sending thread now, leaving what is queued unsent: for tests
     * and embedders that own the outbox's lifetime. A plugin drains instead.
     * Returns once the thread has ended (at most after the send in progress).
     */
    public void stop() throws InterruptedException {
        Thread running;
        synchronized (this) {
            stopped = true;
            running = worker;
            notifyAll();
        }
        if (running != null) {
            running.interrupt();
            running.join();
        }
    }

    private void fold(Mail oldest) {
        folded++;
        foldedTemplate = oldest;
        if (foldedSubjects.size() < MAX_FOLDED_SUBJECTS) foldedSubjects.add(oldest.subject());
        Log.warn("%d mails waiting: folding the oldest ('%s') into a summary", capacity, oldest.subject());
    }

    /** The notice that stands for the folded mails. */
    private Mail foldNotice() {
        StringBuilder body = new StringBuilder(plugin + " could not send mail for a while and kept at most " + capacity
                + " mails waiting. " + folded + " older mail(s) were folded into this notice; their subjects:\n\n");
        for (String subject : foldedSubjects) body.append(subject).append('\n'); // (at most MAX_FOLDED_SUBJECTS)
        if (folded > foldedSubjects.size()) body.append("... and ").append(folded - foldedSubjects.size()).append(" more\n");
        return sender.notice(foldedTemplate, plugin + ": " + folded + " alert(s) folded while mail could not be sent", body.toString());
    }

    /** Takes a mail that was sent (or refused for good) off the queue; noticeCovers > 0 for a fold notice standing for that many. */
    private synchronized void done(Mail mail, long noticeCovers) {
        if (noticeCovers > 0) {
            // Mails folded while the notice was out are not in it: they stay for the next notice.
            int listed = (int) Math.min(noticeCovers, foldedSubjects.size());
            foldedSubjects.subList(0, listed).clear();
            folded -= noticeCovers;
        } else if (queue.peek() == mail) {
            queue.poll();
        } else if (folded > 0) {
            // submit() folded it while it was out, and it went out after all: the notice must not list it as lost.
            folded--;
            foldedSubjects.remove(mail.subject()); // any equal subject: the list reads the same
        }
        sending = false;
        notifyAll();
    }

    /** Some recipients have the mail already: only the others get the next try. */
    private void resend(Mail sent, Mail rest, long noticeCovers) {
        if (noticeCovers > 0) {
            foldedTemplate = rest;
        } else if (queue.peek() == sent) {
            queue.poll();
            queue.addFirst(rest);
        }
    }

    private void deliverForever() {
        Duration delay = firstRetry;
        while (true) {
            Mail mail;
            long noticeCovers; // 0, or how many folded mails the notice being sent stands for
            synchronized (this) {
                try {
                    while (true) {
                        if (stopped) return;
                        long untilRetry = retryAt - System.nanoTime();
                        if (queue.isEmpty() && folded == 0) wait();
                        else if (untilRetry > 0) wait(Math.max(1, untilRetry / 1_000_000));
                        else break;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                noticeCovers = folded; // the notice first: it stands for the oldest mails
                mail = noticeCovers > 0 ? foldNotice() : queue.peek();
                sending = true;
            }
            try {
                sender.send(mail);
                Log.info("%sed '%s' to %s", sender.verb(), mail.subject(), String.join(", ", mail.to()));
                delay = firstRetry;
                done(mail, noticeCovers);
            } catch (Mail.Rejected e) {
                Log.error("%s '%s' refused for good, not retrying: %s; the %s follows\n%s", sender.verb(), mail.subject(),
                        e.getMessage(), sender.verb(), mail.body());
                delay = firstRetry;
                done(mail, noticeCovers);
            } catch (Throwable e) {
                // Any failure, an Error too (OutOfMemoryError, LinkageError): this thread is the only one that
                // mails, so it must live on. The mail stays at the head and is tried again later.
                synchronized (this) {
                    sending = false;
                    if (stopped) return;
                    if (e instanceof Mail.Partial partial) resend(mail, partial.rest(), noticeCovers);
                    Duration wait = hurry ? Duration.ofSeconds(1) : delay;
                    retryAt = System.nanoTime() + wait.toNanos();
                    try {
                        Log.error("could not %s '%s': %s; %d mail(s) waiting, next try in %d s", sender.verb(), mail.subject(),
                                e instanceof IOException ? e.getMessage() : Log.describe(e), pending(), wait.toSeconds());
                    } catch (Throwable ignored) {
                        // out of memory even for the log line: the retry matters more
                    }
                    notifyAll();
                }
                delay = delay.multipliedBy(2).compareTo(maxRetry) > 0 ? maxRetry : delay.multipliedBy(2);
            }
        }
    }
}
