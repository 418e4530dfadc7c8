///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: each plugin's start time, idle RSS, and crashmailbatch's time for 10,000 events and their mail. Prints measurements; asserts nothing.
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../../lib/*.java
//SOURCES ../support/Repo.java
//SOURCES ../support/Supervisord.java
//SOURCES ../support/Frames.java
//SOURCES ../support/Smaps.java

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lib.ProcessTable;

/**
 * ./jbang tests/bench/footprint_bench.java
 * SUPERLANCE=/path/to/dir-holding-the-superlance-package ./jbang tests/bench/footprint_bench.java
 *
 * Runs each plugin as supervisord would (through ./jbang, JBang's cache warm)
 * against a real supervisord with no programs (the RPC the plugins make on a
 * tick), and prints: the time from spawn to the first READY (median of 5), the
 * RSS after two idle TICK_5 events, RSS and PSS of all six running together,
 * and for crashmailbatch the time to answer 10,000 PROCESS_STATE_EXITED events
 * and then to mail them all. The starts and RSS are measured again as "no archive", without
 * ./jbang's class data archive (SUPERLANCE_JBANG_NO_CDS=1). With SUPERLANCE set, superlance's plugins
 * (`python3 -m superlance.X`, same arguments) are measured the same way beside them.
 */
class footprint_bench {
    static final List<String> PLUGINS = List.of("httpok", "crashmail", "memmon", "crashmailbatch", "fatalmailbatch", "crashsms");
    static final int STARTS = 5;

    /** How a plugin is started: ours through ./jbang, or superlance's through python3. */
    record Kind(String name, java.util.function.Function<String, List<String>> command, Map<String, String> env) {}

    record Figures(long startMs, double rssMiB) {}

    public static void main(String... args) throws Exception {
        for (String plugin : PLUGINS) Repo.build(plugin + ".java");
        int smtpPort = Repo.freePort();
        GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        Map<String, List<String>> argv = Map.of(
                "httpok", List.of("-p", "web", "http://127.0.0.1:" + Repo.freePort() + "/"),
                "crashmail", List.of("-a", "-m", "a@example.com"),
                "memmon", List.of("-a", "1GB"),
                "crashmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort),
                "fatalmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort),
                "crashsms", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort));
        List<Kind> kinds = new ArrayList<>();
        kinds.add(new Kind("superlance-jbang", plugin -> {
            List<String> command = new ArrayList<>(List.of(Repo.launcher(), plugin + ".java"));
            command.addAll(argv.get(plugin));
            if (plugin.equals("crashmail")) command.addAll(List.of("--smtp-host", "127.0.0.1:" + smtpPort)); // superlance's has sendmail only
            return command;
        }, Map.of()));
        // The same without the launcher's class data archive, to show what that archive gives.
        kinds.add(new Kind("no archive", kinds.get(0).command(), Map.of("SUPERLANCE_JBANG_NO_CDS", "1")));
        String superlance = System.getenv("SUPERLANCE");
        if (superlance != null && !superlance.isEmpty()) {
            String python = System.getenv().getOrDefault("SUPERLANCE_PYTHON", "/usr/bin/python3"); // the one supervisor is installed for
            kinds.add(new Kind("superlance", plugin -> {
                List<String> command = new ArrayList<>(List.of(python, "-m", "superlance." + plugin));
                command.addAll(argv.get(plugin));
                return command;
            }, Map.of("PYTHONPATH", superlance)));
        }
        try (Supervisord s = Supervisord.start("")) {
            Map<String, Map<String, Figures>> figures = new java.util.LinkedHashMap<>();
            for (Kind kind : kinds) {
                Map<String, Figures> each = new java.util.LinkedHashMap<>();
                for (String plugin : PLUGINS) each.put(plugin, alone(kind, plugin, s));
                figures.put(kind.name(), each);
            }
            System.out.printf("each alone: spawn to first READY (median of %d), RSS after two idle ticks%n%-15s", STARTS, "plugin");
            for (Kind kind : kinds) System.out.printf(" %22s", kind.name() + ": ms, MiB");
            System.out.println();
            for (String plugin : PLUGINS) {
                System.out.printf("%-15s", plugin);
                for (Kind kind : kinds) {
                    Figures f = figures.get(kind.name()).get(plugin);
                    System.out.printf(" %14d %7.1f", f.startMs(), f.rssMiB());
                }
                System.out.println();
            }
            for (Kind kind : kinds) together(kind, s);
            // 10,000 crashes into crashmailbatch, then the tick that sends them.
            Process p = start(kinds.get(0), "crashmailbatch", s);
            Frames.expect(p.getInputStream(), "READY\n");
            StringBuilder events = new StringBuilder();
            for (int i = 1; i <= 10_000; i++) {
                events.append(Frames.frame("PROCESS_STATE_EXITED", i, "processname:app groupname:app from_state:RUNNING expected:0 pid:" + i));
            }
            byte[] bytes = events.toString().getBytes(StandardCharsets.US_ASCII);
            long t0 = System.nanoTime();
            Thread writer = new Thread(() -> {
                try {
                    p.getOutputStream().write(bytes);
                    p.getOutputStream().flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            for (int i = 0; i < 10_000; i++) Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
            long taken = (System.nanoTime() - t0) / 1_000_000;
            long t1 = System.nanoTime();
            send(p.getOutputStream(), "TICK_60", "when:" + System.currentTimeMillis() / 1000, 10_001);
            Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
            boolean arrived = mail.waitForIncomingEmail(60_000, 1);
            long flushed = (System.nanoTime() - t1) / 1_000_000;
            int lines = arrived ? String.valueOf(mail.getReceivedMessages()[mail.getReceivedMessages().length - 1].getContent())
                    .split("died unexpectedly", -1).length - 1 : 0;
            System.out.printf("crashmailbatch: 10,000 events answered in %d ms; their mail (%d lines) at the SMTP server %d ms after the tick; RSS %.1f MiB%n",
                    taken, lines, flushed, ProcessTable.read((int) p.pid()).rss() / 1048576.0);
            p.getOutputStream().close();
            p.waitFor();
        } finally {
            mail.stop();
        }
    }

    /**
     * Started STARTS times, each time ticked twice while idle: the median start and the largest RSS. Two
     * starts before, not counted, are those of a new build: ./jbang lists the classes the first loads and
     * makes the archive of them at the second.
     */
    static Figures alone(Kind kind, String plugin, Supervisord s) throws Exception {
        List<Long> starts = new ArrayList<>();
        double rss = 0;
        for (int run = -2; run < STARTS; run++) {
            long t0 = System.nanoTime();
            Process p = start(kind, plugin, s);
            Frames.expect(p.getInputStream(), "READY\n");
            long started = (System.nanoTime() - t0) / 1_000_000;
            for (int i = 1; i <= 2; i++) {
                send(p.getOutputStream(), "TICK_5", "when:" + System.currentTimeMillis() / 1000, i);
                Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
                Thread.sleep(1000);
            }
            if (run >= 0) {
                starts.add(started);
                rss = Math.max(rss, ProcessTable.read((int) p.pid()).rss() / 1048576.0);
            }
            p.getOutputStream().close();
            p.waitFor();
        }
        starts.sort(null);
        return new Figures(starts.get(STARTS / 2), rss);
    }

    /**
     * All six side by side, as on a server: RSS counts shared file pages (libjvm.so, the CDS archive, the
     * python binary) in each process; PSS splits them among the processes that share them.
     */
    static void together(Kind kind, Supervisord s) throws Exception {
        List<Process> all = new ArrayList<>();
        for (String plugin : PLUGINS) all.add(start(kind, plugin, s));
        for (Process p : all) Frames.expect(p.getInputStream(), "READY\n");
        for (int i = 1; i <= 2; i++) {
            for (Process p : all) send(p.getOutputStream(), "TICK_5", "when:" + System.currentTimeMillis() / 1000, i);
            for (Process p : all) Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
            Thread.sleep(1000);
        }
        System.out.printf("%n%s, all six running together, after two idle ticks:%n%-15s %12s %12s%n", kind.name(), "plugin", "RSS MiB", "PSS MiB");
        double rssSum = 0, pssSum = 0;
        for (int i = 0; i < all.size(); i++) {
            double rss = ProcessTable.read((int) all.get(i).pid()).rss() / 1048576.0, pss = Smaps.kib(all.get(i).pid(), "Pss:") / 1024.0;
            rssSum += rss;
            pssSum += pss;
            System.out.printf("%-15s %12.1f %12.1f%n", PLUGINS.get(i), rss, pss);
        }
        System.out.printf("%-15s %12.1f %12.1f%n%n", "total", rssSum, pssSum);
        for (Process p : all) {
            p.getOutputStream().close();
            p.waitFor();
        }
    }

    static Process start(Kind kind, String plugin, Supervisord s) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(kind.command().apply(plugin)).directory(Repo.ROOT.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(kind.env());
        builder.environment().put("SUPERVISOR_SERVER_URL", s.url());
        return builder.start();
    }

    static void send(OutputStream in, String name, String payload, int serial) throws Exception {
        in.write(Frames.frame(name, serial, payload).getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }
}
