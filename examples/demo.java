///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//DESCRIPTION The superlance-jbang demo: a throwaway supervisord with misbehaving programs and all six plugins, mail caught locally.
//JAVA_OPTIONS -Xlog:disable -Xlog:all=warning:stderr

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * ./jbang examples/demo.java [--print-config]
 *
 * Starts supervisord in a temporary directory with four programs that
 * misbehave (one leaks memory, one web service turns unhealthy, one crashes
 * in a loop, one never starts) and the six plugins watching them, all
 * mailing an SMTP server inside this program on 127.0.0.1. It prints what the
 * plugins do as they do it, and stops once each plugin has sent a mail (or
 * after two minutes, or on Ctrl-C), stopping everything it started.
 */
class demo {
    static final Path ROOT = root();
    static final long START = System.nanoTime();
    static final List<String> PLUGINS = List.of("memmon", "httpok", "crashmail", "crashmailbatch", "fatalmailbatch", "crashsms");
    // Healthy-tick summaries: the demo shows what the plugins do, not that they looked and found nothing.
    static final Pattern QUIET = Pattern.compile("TICK_\\d+: \\d+ checked, 0 over limit|TICK_\\d+: status contacting \\S+: 200 in");

    public static void main(String... args) throws Exception {
        if (args.length > 0 && args[0].equals("--print-config")) { // what the README shows: fixed ports and paths
            System.out.print(config(Path.of("/tmp/superlance-demo"), 2525, 8080, 9000).replace(ROOT.toString(), "/opt/superlance-jbang"));
            return;
        }
        int smtpPort = freePort(), webPort = freePort(), hookPort = freePort();
        Path dir = Files.createTempDirectory("superlance-demo");
        String config = config(dir, smtpPort, webPort, hookPort);
        if (!haveSupervisord()) {
            deleteTree(dir);
            System.exit(1);
        }
        say("demo", "building the six plugins (the first time takes a minute)");
        for (String plugin : PLUGINS) {
            Process build = new ProcessBuilder(ROOT.resolve("jbang").toString(), "build", ROOT.resolve(plugin + ".java").toString())
                    .redirectErrorStream(true).start();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (build.waitFor() != 0) throw new IllegalStateException("building " + plugin + " failed:\n" + out);
        }
        Files.writeString(dir.resolve("supervisord.conf"), config);
        writePrograms(dir);
        GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        // A channel besides mail: crashmail also posts each crash as JSON (--webhook) to this receiver.
        com.sun.net.httpserver.HttpServer hook = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), hookPort), 0);
        hook.createContext("/", exchange -> {
            String json = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            say("webhook", json.length() > 110 ? json.substring(0, 110) + "..." : json);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();
        Process supervisord = new ProcessBuilder("supervisord", "-c", dir.resolve("supervisord.conf").toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("supervisord.out").toFile()).start();
        Thread cleanup = new Thread(() -> stop(supervisord, mail, dir));
        Runtime.getRuntime().addShutdownHook(cleanup); // Ctrl-C
        say("demo", "supervisord (pid " + supervisord.pid() + ") in " + dir + "; mail is caught on 127.0.0.1:" + smtpPort);
        say("demo", "programs: leaker (grows 8 MB/s), web (healthy 20 s after each start, then 500), crasher (exits after 3 s), "
                + "broken (never starts)");

        Set<String> mailed = new LinkedHashSet<>();
        Map<Path, Long> read = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Set<String> seen = new HashSet<>();
        boolean recovered = false; // httpok --recovery: the restarted web answers 200 again
        while ((mailed.size() < PLUGINS.size() || !recovered) && System.nanoTime() < deadline && supervisord.isAlive()) {
            Thread.sleep(500);
            for (String plugin : PLUGINS) tail(dir.resolve(plugin + ".err"), plugin, read);
            for (MimeMessage m : mail.getReceivedMessages()) { // in no set order: each is shown once, by its Message-ID
                if (!seen.add(m.getMessageID())) continue;
                String to = m.getRecipients(Message.RecipientType.TO)[0].toString();
                mailed.add(to.substring(0, to.indexOf('@')));
                recovered |= m.getSubject() != null && m.getSubject().endsWith(": healthy again");
                say("mail", "to " + to + ": " + (m.getSubject() == null ? "(no subject) " + firstLine(m) : m.getSubject()));
            }
        }
        Runtime.getRuntime().removeShutdownHook(cleanup);
        boolean everyPlugin = mailed.size() == PLUGINS.size() && recovered;
        say("demo", everyPlugin ? "each of the six plugins acted, and httpok saw web recover; stopping"
                : "time is up; plugins that sent no mail: " + PLUGINS.stream().filter(p -> !mailed.contains(p)).toList()
                + (recovered ? "" : "; no recovery seen"));
        stop(supervisord, mail, dir);
        hook.stop(0);
        say("demo", "your own set-up: run its command= line with --test-alert added, and every destination (mail, webhook, "
                + "Slack, Alertmanager) gets a test alert now, each said to have taken it or why not");
        System.exit(everyPlugin ? 0 : 1);
    }

    /** The supervisord.conf: four programs and the six plugins, each mailing PLUGIN@demo.local; crashmail posts to a webhook too. */
    static String config(Path dir, int smtpPort, int webPort, int hookPort) {
        String smtp = "--smtp-host 127.0.0.1:" + smtpPort + " --from demo@demo.local";
        String batch = "-f demo@demo.local -H 127.0.0.1:" + smtpPort + " -i 0.25 -e TICK_5";
        return """
                [unix_http_server]
                file=%1$s/supervisor.sock

                [supervisord]
                nodaemon=true
                logfile=%1$s/supervisord.log
                pidfile=%1$s/supervisord.pid
                childlogdir=%1$s

                [rpcinterface:supervisor]
                supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

                [program:leaker]
                command=/usr/bin/python3 %1$s/leaker.py
                stopasgroup=true

                [program:web]
                command=/usr/bin/python3 %1$s/web.py %3$d
                stopasgroup=true

                [program:crasher]
                command=/bin/sh -c "sleep 3; exit 1"
                startsecs=0

                [program:broken]
                command=/bin/false
                startretries=1

                %2$s
                """.formatted(dir, String.join("\n", List.of(
                        listener("memmon", "-p leaker=40MB -n demo -m memmon@demo.local " + smtp, "TICK_5"),
                        listener("httpok", "-p web -t 3 --recovery -m httpok@demo.local " + smtp + " http://127.0.0.1:" + webPort + "/", "TICK_5"),
                        listener("crashmail", "-p crasher -o demo -m crashmail@demo.local " + smtp + " --webhook http://127.0.0.1:"
                                + hookPort + "/demo", "PROCESS_STATE_EXITED"),
                        listener("crashmailbatch", "-t crashmailbatch@demo.local " + batch, "PROCESS_STATE_EXITED,TICK_5"),
                        listener("fatalmailbatch", "-t fatalmailbatch@demo.local " + batch, "PROCESS_STATE_FATAL,TICK_5"),
                        listener("crashsms", "-t crashsms@demo.local " + batch, "PROCESS_STATE_EXITED,TICK_5"))), webPort);
    }

    static String listener(String plugin, String args, String events) {
        return "[eventlistener:" + plugin + "]\ncommand=" + ROOT.resolve("jbang") + " " + ROOT.resolve(plugin + ".java") + " " + args
                + "\nevents=" + events + "\nstderr_logfile=%(here)s/" + plugin + ".err\nstopasgroup=true\nkillasgroup=true\n";
    }

    /** The two python programs: one leaks 8 MB a second, one answers 200 for 20 s after it starts, then 500. */
    static void writePrograms(Path dir) throws IOException {
        Files.writeString(dir.resolve("leaker.py"), """
                import time
                held = []
                while True:
                    held.append(bytearray(8 << 20))
                    time.sleep(1)
                """);
        Files.writeString(dir.resolve("web.py"), """
                import http.server, sys, time
                started = time.time()
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        self.send_response(200 if time.time() - started < 20 else 500)
                        self.send_header('Content-Length', '0')
                        self.end_headers()
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
                """);
    }

    /** supervisord present, or installed now when we are root; else the command to run, and false. */
    static boolean haveSupervisord() throws Exception {
        if (onPath("supervisord")) return true;
        if (!"0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim())) {
            System.err.println("supervisord is not installed. Install it, then run the demo again:\n    sudo apt-get install -y supervisor");
            return false;
        }
        say("demo", "supervisord is not installed; running as root, so installing it: apt-get install -y supervisor");
        int status = new ProcessBuilder("apt-get", "install", "-y", "supervisor").inheritIO().start().waitFor();
        if (status != 0) status = new ProcessBuilder("sh", "-c", "apt-get update && apt-get install -y supervisor").inheritIO().start().waitFor();
        return status == 0 && onPath("supervisord");
    }

    static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) return true;
        }
        return false;
    }

    /** Prints the new lines of a listener's log that say it did something. */
    static void tail(Path log, String plugin, Map<Path, Long> read) throws IOException {
        if (!Files.exists(log)) return;
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long from = read.getOrDefault(log, 0L);
            if (file.length() <= from) return;
            file.seek(from);
            byte[] bytes = new byte[(int) (file.length() - from)];
            file.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n') + 1; // a line still being written waits for the next look
            read.put(log, from + text.substring(0, end).getBytes(StandardCharsets.UTF_8).length);
            for (String line : text.substring(0, end).split("\n")) {
                // "2026-11-24 10:00:00,123 INFO memmon: message" -> "message"
                int colon = line.indexOf(plugin + ": ");
                if (colon < 0 || QUIET.matcher(line).find() || line.contains("mailed '")) continue;
                say(plugin, line.substring(colon + plugin.length() + 2));
            }
        }
    }

    static String firstLine(MimeMessage m) {
        try {
            return String.valueOf(m.getContent()).strip().lines().findFirst().orElse("");
        } catch (Exception e) {
            return "";
        }
    }

    /** Stops supervisord (its listeners send what they still hold), then the mail server, then the files. */
    static synchronized void stop(Process supervisord, GreenMail mail, Path dir) {
        try {
            if (supervisord.isAlive()) {
                List<ProcessHandle> started = supervisord.descendants().toList();
                supervisord.destroy();
                if (!supervisord.waitFor(30, TimeUnit.SECONDS)) supervisord.destroyForcibly().waitFor();
                for (ProcessHandle p : started) p.destroyForcibly();
            }
            mail.stop();
            deleteTree(dir);
        } catch (Exception e) {
            System.err.println("cleanup: " + e);
        }
    }

    static void say(String who, String what) {
        System.out.printf("[%3ds] %-15s %s%n", (System.nanoTime() - START) / 1_000_000_000, who, what);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The repository: where this script's jbang launcher and plugins are. */
    static Path root() {
        String source = System.getProperty("jbang.source");
        Path start = source != null ? Path.of(source).toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("jbang-catalog.json")) && Files.exists(p.resolve("jbang"))) return p;
        }
        throw new IllegalStateException("run the demo from the superlance-jbang repository: ./jbang examples/demo.java");
    }
}
