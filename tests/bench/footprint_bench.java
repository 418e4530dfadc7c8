///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: each plugin's start time, idle RSS, and crashmailbatch's time for 10,000 events and their mail. Prints measurements; asserts nothing.
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../../lib/*.java
//SOURCES ../support/Repo.java
//SOURCES ../support/Supervisord.java
//SOURCES ../support/Frames.java

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
 * Runs each plugin through ./jbang, as supervisord would, against a real
 * supervisord with no programs (the RPC the plugins make on a tick), and
 * prints: the time from spawn to the first READY with JBang's cache warm,
 * the RSS after two idle TICK_5 events, and for crashmailbatch the time to
 * answer 10,000 PROCESS_STATE_EXITED events and then to mail them all.
 */
class footprint_bench {
    static final List<String> PLUGINS = List.of("httpok", "crashmail", "memmon", "crashmailbatch", "fatalmailbatch", "crashsms");

    public static void main(String... args) throws Exception {
        for (String plugin : PLUGINS) Repo.build(plugin + ".java");
        int smtpPort = Repo.freePort();
        GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        Map<String, List<String>> argv = Map.of(
                "httpok", List.of("-p", "web", "http://127.0.0.1:" + Repo.freePort() + "/"),
                "crashmail", List.of("-a", "-m", "a@example.com", "--smtp-host", "127.0.0.1:" + smtpPort),
                "memmon", List.of("-a", "1GB"),
                "crashmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort),
                "fatalmailbatch", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort),
                "crashsms", List.of("-t", "a@example.com", "-f", "b@example.com", "-H", "127.0.0.1:" + smtpPort));
        try (Supervisord s = Supervisord.start("")) {
            System.out.printf("%-15s %12s %12s%n", "plugin", "start ms", "RSS MiB");
            for (String plugin : PLUGINS) {
                List<Long> starts = new ArrayList<>();
                double rss = 0;
                for (int run = 0; run < 3; run++) {
                    Process p = start(plugin, argv.get(plugin), s);
                    long t0 = System.nanoTime();
                    Frames.expect(p.getInputStream(), "READY\n");
                    starts.add((System.nanoTime() - t0) / 1_000_000);
                    for (int i = 1; i <= 2; i++) {
                        send(p.getOutputStream(), "TICK_5", "when:" + System.currentTimeMillis() / 1000, i);
                        Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
                        Thread.sleep(1000);
                    }
                    rss = Math.max(rss, ProcessTable.read((int) p.pid()).rss() / 1048576.0);
                    p.getOutputStream().close();
                    p.waitFor();
                }
                starts.sort(null);
                System.out.printf("%-15s %12d %12.1f%n", plugin, starts.get(1), rss);
            }
            // All six side by side, as on a server: RSS counts the JVM's shared file pages (libjvm.so, the CDS
            // archive) in each process; PSS splits them among the processes that share them.
            List<Process> all = new ArrayList<>();
            for (String plugin : PLUGINS) all.add(start(plugin, argv.get(plugin), s));
            for (Process p : all) Frames.expect(p.getInputStream(), "READY\n");
            for (int i = 1; i <= 2; i++) {
                for (Process p : all) send(p.getOutputStream(), "TICK_5", "when:" + System.currentTimeMillis() / 1000, i);
                for (Process p : all) Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
                Thread.sleep(1000);
            }
            System.out.printf("%nall six running together, after two idle ticks:%n%-15s %12s %12s%n", "plugin", "RSS MiB", "PSS MiB");
            double rssSum = 0, pssSum = 0;
            for (int i = 0; i < all.size(); i++) {
                double rss = ProcessTable.read((int) all.get(i).pid()).rss() / 1048576.0, pss = pssKiB(all.get(i).pid()) / 1024.0;
                rssSum += rss;
                pssSum += pss;
                System.out.printf("%-15s %12.1f %12.1f%n", PLUGINS.get(i), rss, pss);
            }
            System.out.printf("%-15s %12.1f %12.1f%n%n", "total", rssSum, pssSum);
            for (Process p : all) {
                p.getOutputStream().close();
                p.waitFor();
            }
            // 10,000 crashes into crashmailbatch, then the tick that sends them.
            Process p = start("crashmailbatch", argv.get("crashmailbatch"), s);
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

    static Process start(String plugin, List<String> args, Supervisord s) throws Exception {
        List<String> command = new ArrayList<>(List.of(Repo.launcher(), plugin + ".java"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(Repo.ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SUPERVISOR_SERVER_URL", s.url());
        return builder.start();
    }

    /** Proportional set size: each shared page counted as 1/N in each of the N processes mapping it. */
    static long pssKiB(long pid) throws Exception {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith("Pss:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }

    static void send(OutputStream in, String name, String payload, int serial) throws Exception {
        in.write(Frames.frame(name, serial, payload).getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }
}
