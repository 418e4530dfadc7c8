///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: RSS of all six listeners over a long crash loop under a real supervisord. Prints measurements; asserts nothing.
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../../lib/*.java
//SOURCES ../support/Repo.java
//SOURCES ../support/Supervisord.java

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.ProcessInfo;
import lib.ProcessTable;

/**
 * ./jbang tests/bench/soak_bench.java [MINUTES [SAMPLE_SECONDS]]   (default: 60 20)
 * NMT=1 ./jbang tests/bench/soak_bench.java 60                       (adds the JVM's native memory summaries)
 *
 * One supervisord runs a program that crashes about once a second (sleep 0.3, then exit 1; about
 * three PROCESS_STATE events a second: STARTING, RUNNING, EXITED) and the
 * six listeners, as a user would set them up: the batch plugins mailing
 * every minute to an SMTP server started here, crashmail mailing each crash
 * (crash loops folded), memmon -a 1GB and httpok checking a healthy URL
 * served here, both on TICK_5. Every SAMPLE_SECONDS it prints each
 * listener's RSS (MiB, from /proc/PID/stat); at the end, for each, RSS at
 * the 5th minute, at the end, and the difference. With NMT=1 the listeners
 * run with -XX:NativeMemoryTracking=summary, and the committed totals of
 * `jcmd PID VM.native_memory summary` at the 5th minute and at the end are
 * printed by category (NMT itself costs memory: compare within a run).
 */
class soak_bench {
    static final List<String> LISTENERS = List.of("crashmailbatch", "fatalmailbatch", "crashsms", "crashmail", "memmon", "httpok");

    public static void main(String... args) throws Exception {
        int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int sample = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        boolean nmt = "1".equals(System.getenv("NMT"));
        for (String plugin : LISTENERS) Repo.build(plugin + ".java");
        int smtpPort = Repo.freePort();
        GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes());
            exchange.close();
        });
        web.start();
        String smtp = "127.0.0.1:" + smtpPort;
        String batch = " -t ops@example.com -f soak@example.com -H " + smtp + " -i 1";
        Map<String, String> commands = new LinkedHashMap<>();
        commands.put("crashmailbatch", "crashmailbatch.java" + batch);
        commands.put("fatalmailbatch", "fatalmailbatch.java" + batch);
        commands.put("crashsms", "crashsms.java" + batch);
        commands.put("crashmail", "crashmail.java -a -m ops@example.com --smtp-host " + smtp);
        commands.put("memmon", "memmon.java -a 1GB");
        commands.put("httpok", "httpok.java http://127.0.0.1:" + web.getAddress().getPort() + "/health");
        StringBuilder sections = new StringBuilder("""
                [program:crasher]
                command=sh -c "sleep 0.3; exit 1"
                startsecs=0
                startretries=1000000
                autorestart=true

                """);
        String env = nmt ? "environment=JAVA_TOOL_OPTIONS=\"-XX:NativeMemoryTracking=summary\"\n" : "";
        commands.forEach((name, command) -> sections.append("[eventlistener:").append(name).append("]\ncommand=")
                .append(Repo.launcher()).append(' ').append(Repo.ROOT.resolve(command.split(" ")[0]))
                .append(command.substring(command.indexOf(' '))).append('\n')
                .append("events=").append(name.equals("memmon") || name.equals("httpok") ? "TICK_5" : "PROCESS_STATE,TICK_5")
                .append("\nbuffer_size=1000\nstderr_logfile=%(dir)s/").append(name).append(".log\n").append(env).append('\n'));
        try (Supervisord s = Supervisord.start(sections.toString(), "info")) {
            Map<String, Integer> pids = new LinkedHashMap<>();
            Repo.await("every listener RUNNING", Duration.ofSeconds(60), () -> {
                try {
                    for (ProcessInfo p : s.unix().getAllProcessInfo()) if (LISTENERS.contains(p.name()) && p.running()) pids.put(p.name(), p.pid());
                } catch (java.io.IOException e) {
                    return false;
                }
                return pids.size() == LISTENERS.size();
            });
            System.out.printf("%-6s", "min");
            for (String name : LISTENERS) System.out.printf(" %15s", name);
            System.out.println("   (RSS MiB)");
            long start = System.nanoTime();
            Map<String, Long> atFive = new LinkedHashMap<>();
            Map<String, Map<String, Long>> nmtAtFive = new LinkedHashMap<>();
            Map<String, Long> last = new LinkedHashMap<>();
            for (long next = sample; next <= minutes * 60L; next += sample) {
                Thread.sleep(Math.max(0, start / 1_000_000 + next * 1000 - System.nanoTime() / 1_000_000));
                System.out.printf("%-6.1f", next / 60.0);
                for (String name : LISTENERS) {
                    long rss = ProcessTable.read(pids.get(name)) == null ? 0 : ProcessTable.read(pids.get(name)).rss();
                    last.put(name, rss);
                    if (next <= 300) atFive.put(name, rss);
                    System.out.printf(" %15.1f", rss / 1048576.0);
                }
                System.out.println();
                if (nmt && next <= 300 && next + sample > 300) for (String name : LISTENERS) nmtAtFive.put(name, nmt(pids.get(name)));
            }
            System.out.printf("%nafter %d min: %d crashes, %d mails; the same pids throughout: %s%n", minutes,
                    countCrashes(s), mail.getReceivedMessages().length, samePids(s, pids));
            System.out.printf("%-16s %12s %12s %12s%n", "listener", "5 min MiB", "end MiB", "growth MiB");
            for (String name : LISTENERS) {
                System.out.printf("%-16s %12.1f %12.1f %12.2f%n", name, atFive.get(name) / 1048576.0, last.get(name) / 1048576.0,
                        (last.get(name) - atFive.get(name)) / 1048576.0);
            }
            if (nmt) {
                for (String name : LISTENERS) {
                    Map<String, Long> early = nmtAtFive.getOrDefault(name, Map.of()), late = nmt(pids.get(name));
                    StringBuilder grew = new StringBuilder();
                    late.forEach((category, kb) -> {
                        long delta = kb - early.getOrDefault(category, 0L);
                        if (delta != 0) grew.append(' ').append(category).append(delta > 0 ? " +" : " ").append(delta).append(" KB;");
                    });
                    System.out.printf("NMT committed, 5 min to end, %s:%s%n", name, grew.length() == 0 ? " no change" : grew);
                }
            }
        } finally {
            web.stop(0);
            mail.stop();
        }
    }

    /** The committed KB of each NMT category ("Total", "Java Heap", "Class", ...) of a JVM. */
    static Map<String, Long> nmt(int pid) throws Exception {
        Repo.Result r = Repo.run(List.of("jcmd", String.valueOf(pid), "VM.native_memory", "summary"), Map.of(), new byte[0], Duration.ofSeconds(30));
        Map<String, Long> committed = new LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^(?:-\\s*)?\\s*([A-Z][A-Za-z ]+?)(?: \\(|: )reserved=\\d+KB, committed=(\\d+)KB")
                .matcher(r.out());
        while (m.find()) committed.put(m.group(1).trim(), Long.parseLong(m.group(2)));
        return committed;
    }

    static long countCrashes(Supervisord s) {
        return Repo.count(s.log(), "exited: crasher \\(exit status 1; not expected\\)");
    }

    static boolean samePids(Supervisord s, Map<String, Integer> pids) throws Exception {
        List<String> moved = new ArrayList<>();
        for (ProcessInfo p : s.unix().getAllProcessInfo()) if (pids.containsKey(p.name()) && pids.get(p.name()) != p.pid()) moved.add(p.name());
        return moved.isEmpty();
    }
}
