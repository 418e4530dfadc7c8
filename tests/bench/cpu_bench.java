///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: CPU per event, per check, per batch mail and per idle minute of each listener, driven over its pipes. Prints measurements; asserts nothing.
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../support/Repo.java
//SOURCES ../support/Frames.java
//SOURCES ../support/Cpu.java
//SOURCES ../support/TestTls.java
//SOURCES ../support/Sockets.java

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ./jbang tests/bench/cpu_bench.java [EVENTS [IDLE_SECONDS]]   (default: 10000 60)
 * SUPERLANCE=/dir/holding/the/superlance/package ./jbang tests/bench/cpu_bench.java
 * SPACED=5 ./jbang tests/bench/cpu_bench.java     (adds: ticks 5 s apart, per thread)
 *
 * Plays supervisord for one listener at a time: READY, an event, RESULT,
 * and again. For the crash plugins, EVENTS PROCESS_STATE_EXITED (or
 * _FATAL) events, after a warm-up of a fifth as many: wall time per round
 * trip and CPU per event. For httpok, 200 TICK_5 events, each a GET of a
 * healthy URL served here (then the same over HTTPS, its
 * certificate trusted with --ca): CPU per check. Then IDLE_SECONDS with nothing
 * sent: CPU per idle minute. For crashmailbatch and crashsms, also a
 * minute of the soak's crash loop 60 times over: 80 crashes, then a TICK_60
 * that ends the batch and its mail goes to an SMTP server started here
 * (GreenMail): CPU per batch, the 80 events and the mail. CPU is the time on a CPU of the listener's
 * process tree, from schedstat (tests/support/Cpu.java; the kept command
 * runs one JVM; JBang's, when there, is counted too). With SUPERLANCE set, superlance's plugins
 * (python3 -m superlance.X) are measured the same way beside ours. memmon's
 * tick needs a supervisord: tests/bench/memmon_bench.java.
 * With SPACED=S, last: crashmailbatch answers a TICK_5 every S seconds,
 * 12 of them to warm up and then 36, with the CPU of each thread over
 * the 36 (a tick that comes after seconds of sleep costs more than one
 * that comes at once; and the JVM's own threads wake in between).
 */
class cpu_bench {
    static final long PAGE = 4096;

    record Plugin(String name, List<String> args, String event, String payload) {}

    public static void main(String... args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int idle = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        web.start();
        com.sun.net.httpserver.HttpsServer secure = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        secure.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(TestTls.serverContext()));
        secure.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        secure.start();
        String exited = "processname:web groupname:web from_state:RUNNING expected:0 pid:4242";
        String batch = "-t ops@example.com -f s@example.com -H 127.0.0.1:1 -i 1000";
        List<Plugin> plugins = List.of(
                new Plugin("crashmailbatch", split(batch), "PROCESS_STATE_EXITED", exited),
                new Plugin("fatalmailbatch", split(batch), "PROCESS_STATE_FATAL", "processname:web groupname:web from_state:BACKOFF"),
                new Plugin("crashsms", split(batch), "PROCESS_STATE_EXITED", exited),
                new Plugin("crashmail", List.of("-a"), "PROCESS_STATE_EXITED", exited),
                new Plugin("httpok", List.of("http://127.0.0.1:" + web.getAddress().getPort() + "/health"), "TICK_5", "when:0"),
                new Plugin("httpok", List.of("--ca", TestTls.caPem().toString(), "https://127.0.0.1:" + secure.getAddress().getPort() + "/health"),
                        "TICK_5", "when:0"));
        for (String plugin : List.of("crashmailbatch", "fatalmailbatch", "crashsms", "crashmail", "httpok")) Repo.build(plugin + ".java");
        System.out.printf("%-16s %-10s %8s %12s %12s %14s %10s%n", "plugin", "by", "events", "wall us/rt", "CPU us/event",
                "CPU ms/idle min", "RSS MiB");
        String superlance = System.getenv("SUPERLANCE");
        for (Plugin p : plugins) {
            measure(p, "ours", ours(p.name(), p.args()), Map.of(), p.event().equals("TICK_5") ? 200 : events, idle);
            if (superlance != null && !p.args().contains("--ca")) { // superlance's httpok has no way to trust a test CA
                try {
                    measure(p, "superlance", theirs(p.name(), p.args()), Map.of("PYTHONPATH", superlance), p.event().equals("TICK_5") ? 200 : events, idle);
                } catch (Exception e) { // superlance's httpok asks supervisord at each tick: without one it ends
                    System.out.printf("%-16s %-10s not measured: %s%n", p.name(), "superlance", e.getMessage());
                }
            }
        }
        System.out.printf("%n%-16s %-10s %8s %16s%n", "plugin", "by", "batches", "CPU ms/batch");
        for (String plugin : List.of("crashmailbatch", "crashsms")) {
            measureBatches(plugin, "ours", ours(plugin, List.of()), Map.of());
            if (superlance != null) measureBatches(plugin, "superlance", theirs(plugin, List.of()), Map.of("PYTHONPATH", superlance));
        }
        String spaced = System.getenv("SPACED");
        if (spaced != null) {
            int seconds = Integer.parseInt(spaced);
            Plugin tick = new Plugin("crashmailbatch", split(batch), "TICK_5", "when:0");
            measureSpaced(tick, "ours", ours(tick.name(), tick.args()), Map.of(), seconds);
            if (superlance != null) measureSpaced(tick, "superlance", theirs(tick.name(), tick.args()), Map.of("PYTHONPATH", superlance), seconds);
        }
        web.stop(0);
        secure.stop(0);
    }

    /** 12 ticks and then 36, `seconds` apart: CPU per thread over the 36, and per tick in all. */
    static void measureSpaced(Plugin p, String by, List<String> command, Map<String, String> env, int seconds) throws Exception {
        Process listener = start(command, env);
        try {
            InputStream out = listener.getInputStream();
            OutputStream in = listener.getOutputStream();
            int serial = 0;
            Map<String, Long> before = Map.of();
            for (int i = 0; i < 48; i++) {
                if (i == 12) before = Cpu.threads(listener.pid());
                roundTrip(in, out, p, serial++);
                Thread.sleep(seconds * 1000L);
            }
            Map<String, Long> after = Cpu.threads(listener.pid());
            StringBuilder line = new StringBuilder();
            long total = 0;
            for (Map.Entry<String, Long> t : after.entrySet()) {
                long used = t.getValue() - before.getOrDefault(t.getKey(), 0L);
                total += used;
                if (used > 0) line.append(String.format("; %s %.2f ms", t.getKey().substring(t.getKey().indexOf(' ') + 1), used / 1e6));
            }
            System.out.printf("%n%s, %s, 36 ticks %d s apart: %.1f us of CPU a tick, %.2f ms a minute%s%n", p.name(), by, seconds, total / 1000.0 / 36,
                    total / 1e6 / (36.0 * seconds / 60), line);
            in.close();
            listener.waitFor();
        } finally {
            stop(listener);
        }
    }

    static final int BATCHES = 60, CRASHES_PER_BATCH = 80; // the soak's hour: about 80 crashes a minute, a mail a minute

    /**
     * A crash loop's minute, BATCHES times: CRASHES_PER_BATCH exits, then a
     * TICK_60 that ends the interval (-i 1), and the mail it sends. After a
     * warm-up of a fifth as many. The JIT counts calls, not minutes, so this
     * runs the mail's code as often, between as many events, as an hour does.
     */
    static void measureBatches(String plugin, String by, List<String> launch, Map<String, String> env) throws Exception {
        GreenMail smtp = new GreenMail(new ServerSetup(Repo.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
        List<String> command = new ArrayList<>(launch);
        command.addAll(split("-t ops@example.com -f s@example.com -H 127.0.0.1:" + smtp.getSmtp().getPort() + " -i 1"));
        Process listener = start(command, env);
        try {
            InputStream out = listener.getInputStream();
            OutputStream in = listener.getOutputStream();
            Plugin exit = new Plugin(plugin, List.of(), "PROCESS_STATE_EXITED", "processname:web groupname:web from_state:RUNNING expected:0 pid:4242");
            Plugin tick = new Plugin(plugin, List.of(), "TICK_60", "when:0");
            int serial = 0, warm = BATCHES / 5;
            long cpu = 0;
            for (int b = 0; b < warm + BATCHES; b++) {
                if (b == warm) cpu = Cpu.nanos(listener.pid());
                for (int i = 0; i < CRASHES_PER_BATCH; i++) roundTrip(in, out, exit, serial++);
                roundTrip(in, out, tick, serial++);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (smtp.getReceivedMessages().length <= b) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("batch " + (b + 1) + " was not mailed within 30 s");
                    Thread.sleep(1);
                }
                // The server has the mail before the client's QUIT: a TICK before that would find the
                // outbox busy and hold the next batch (as it should), and this count would drift.
                Thread.sleep(50);
            }
            long used = Cpu.nanos(listener.pid()) - cpu;
            System.out.printf("%-16s %-10s %8d %16.2f%n", plugin, by, BATCHES, used / 1e6 / BATCHES);
            in.close();
            listener.waitFor();
        } finally {
            stop(listener);
            smtp.stop();
        }
    }

    static List<String> split(String words) { return Arrays.asList(words.split(" ")); }

    /** Our plugin as a user runs it: the launcher, the script, its arguments. */
    static List<String> ours(String plugin, List<String> args) {
        List<String> command = new ArrayList<>(List.of(Repo.launcher(), plugin + ".java"));
        command.addAll(args);
        return command;
    }

    /** superlance's plugin of that name with the same arguments: python3 -m superlance.X (PYTHONPATH from SUPERLANCE). */
    static List<String> theirs(String plugin, List<String> args) {
        List<String> command = new ArrayList<>(List.of(System.getenv().getOrDefault("SUPERLANCE_PYTHON", "/usr/bin/python3"), "-m", "superlance." + plugin));
        command.addAll(args);
        return command;
    }

    /** Starts a listener as supervisord would (with no supervisord behind it) and reads its first READY. */
    static Process start(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(Repo.ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SUPERVISOR_SERVER_URL", "unix:///nonexistent/supervisor.sock");
        builder.environment().putAll(env);
        Process listener = builder.start();
        try {
            Frames.expect(listener.getInputStream(), "READY\n");
        } catch (Exception e) {
            stop(listener);
            throw e;
        }
        return listener;
    }

    /** Ends a listener and whatever it started. */
    static void stop(Process listener) {
        listener.descendants().forEach(ProcessHandle::destroyForcibly);
        listener.destroyForcibly();
    }

    static void measure(Plugin p, String by, List<String> command, Map<String, String> env, int events, int idle) throws Exception {
        Process listener = start(command, env);
        try {
            InputStream out = listener.getInputStream();
            OutputStream in = listener.getOutputStream();
            int serial = 0;
            for (int i = 0; i < Math.max(1, events / 5); i++) roundTrip(in, out, p, serial++); // warm-up
            long cpu = Cpu.nanos(listener.pid());
            long start = System.nanoTime();
            for (int i = 0; i < events; i++) roundTrip(in, out, p, serial++);
            long wallNanos = System.nanoTime() - start;
            long used = Cpu.nanos(listener.pid()) - cpu;
            long beforeIdle = Cpu.nanos(listener.pid());
            Thread.sleep(idle * 1000L);
            long idleNanos = Cpu.nanos(listener.pid()) - beforeIdle;
            System.out.printf("%-16s %-10s %8d %12.1f %12.1f %14.1f %10.1f%n", p.name() + (p.args().contains("--ca") ? " https" : ""), by, events, wallNanos / 1000.0 / events,
                    used / 1000.0 / events, idleNanos < 0 ? Double.NaN : idleNanos / 1e6 * 60 / idle, // NaN: a thread ended (Cpu.java)
                    rss(listener.pid()) / 1048576.0);
            in.close();
            listener.waitFor();
        } finally {
            stop(listener);
        }
    }

    static void roundTrip(OutputStream in, InputStream out, Plugin p, int serial) throws Exception {
        in.write(Frames.frame(p.event(), serial, p.payload()).getBytes(StandardCharsets.UTF_8));
        in.flush();
        Frames.expect(out, "RESULT 2\nOK");
        Frames.expect(out, "READY\n");
    }

    static long rss(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[21]) * PAGE; // field 24
        } catch (Exception e) {
            return 0;
        }
    }
}
