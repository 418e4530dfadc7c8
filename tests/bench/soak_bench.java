///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: RSS and CPU of all six listeners over a long crash loop under a real supervisord. Prints measurements; asserts nothing.
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../../lib/*.java
//SOURCES ../support/Repo.java
//SOURCES ../support/Supervisord.java
//SOURCES ../support/Cpu.java

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
 * IDLE=1 ./jbang tests/bench/soak_bench.java 10                      (nothing crashes: what an idle listener costs)
 *
 * One supervisord runs two programs that crash in a loop (sleep 1.5, then
 * exit 1; each crash is three PROCESS_STATE events: STARTING, RUNNING,
 * EXITED; the end says how many a second that made) and the
 * six listeners, as a user would set them up: the batch plugins mailing
 * every minute to an SMTP server started here (on TICK_60, the only tick
 * superlance's count unless told otherwise with -e), crashmail mailing each
 * crash (crash loops folded), memmon -a 1GB and httpok checking a healthy
 * URL served here, both on TICK_5. Every SAMPLE_SECONDS it prints each
 * listener's RSS (MiB, from /proc/PID/stat); at the end, for each, RSS at
 * the 5th minute, at the end, and the difference, where that difference
 * lies (/proc/PID/smaps: libjvm.so, the class data archives, other files,
 * anonymous memory: heap, code, metaspace, malloc), and the CPU it took
 * from the 5th minute on (utime + stime). With NMT=1 the listeners
 * run with -XX:NativeMemoryTracking=summary, and the committed totals of
 * `jcmd PID VM.native_memory summary` at the 5th minute and at the end are
 * printed by category (NMT itself costs memory: compare within a run),
 * with the classes whose live instances grew most between the two
 * (`jcmd PID GC.class_histogram`, which collects the heap first).
 * SUPERLANCE=dir runs superlance's six instead (python3 -m superlance.X
 * from dir, the same command lines: they are drop-ins) for their figures;
 * its crashmail has no SMTP and pipes each mail to `cat >/dev/null`.
 * IDLE=1 runs two programs that sleep instead, and the batch plugins on
 * PROCESS_STATE,TICK_5: every listener gets a tick every 5 s and has
 * nothing to do (issue 28's idle case). The CPU is then also summed from
 * /proc/PID/task/TID/schedstat (nanoseconds, live threads only; the clock
 * ticks above count a child that ended, such as superlance's `ps`).
 */
class soak_bench {
    static final List<String> LISTENERS = List.of("crashmailbatch", "fatalmailbatch", "crashsms", "crashmail", "memmon", "httpok");

    public static void main(String... args) throws Exception {
        int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int sample = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        boolean nmt = "1".equals(System.getenv("NMT"));
        boolean idle = "1".equals(System.getenv("IDLE"));
        String superlance = System.getenv("SUPERLANCE");
        if (superlance == null) for (String plugin : LISTENERS) Repo.build(plugin + ".java");
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
        commands.put("crashmail", "crashmail.java -a -m ops@example.com " + (superlance == null ? "--smtp-host " + smtp : "-s 'cat >/dev/null'"));
        commands.put("memmon", "memmon.java -a 1GB");
        commands.put("httpok", "httpok.java http://127.0.0.1:" + web.getAddress().getPort() + "/health");
        StringBuilder sections = new StringBuilder("""
                [program:crasher]
                command=COMMAND
                process_name=%(program_name)s_%(process_num)s
                numprocs=2
                startsecs=0
                startretries=1000000
                autorestart=true

                """.replace("COMMAND", idle ? "sleep 1000000" : "sh -c \"sleep 1.5; exit 1\""));
        String env = superlance != null ? "environment=PYTHONPATH=\"" + superlance + "\"\n"
                : nmt ? "environment=JAVA_TOOL_OPTIONS=\"-XX:NativeMemoryTracking=summary\"\n" : "";
        commands.forEach((name, command) -> sections.append("[eventlistener:").append(name).append("]\ncommand=")
                .append(superlance == null ? Repo.launcher() + " " + Repo.ROOT.resolve(command.split(" ")[0]) : "/usr/bin/python3 -m superlance." + name)
                .append(command.substring(command.indexOf(' '))).append('\n')
                .append("events=").append(name.equals("memmon") || name.equals("httpok") ? "TICK_5"
                        : name.equals("crashmail") || idle ? "PROCESS_STATE,TICK_5" : "PROCESS_STATE,TICK_60") // superlance's batch plugins count TICK_60 alone
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
            long earlySec = Math.min(300, minutes * 30L); // the 5th minute, or half of a shorter run
            Map<String, Long> atFive = new LinkedHashMap<>();
            Map<String, Map<String, Long>> nmtAtFive = new LinkedHashMap<>(), histogramAtFive = new LinkedHashMap<>();
            Map<String, Map<String, Long>> smapsAtFive = new LinkedHashMap<>();
            Map<String, Long> cpuAtFive = new LinkedHashMap<>(), nanosAtFive = new LinkedHashMap<>();
            long crashesAtFive = 0;
            Map<String, Long> last = new LinkedHashMap<>();
            for (long next = sample; next <= minutes * 60L; next += sample) {
                Thread.sleep(Math.max(0, start / 1_000_000 + next * 1000 - System.nanoTime() / 1_000_000));
                System.out.printf("%-6.1f", next / 60.0);
                for (String name : LISTENERS) {
                    long rss = ProcessTable.read(pids.get(name)) == null ? 0 : ProcessTable.read(pids.get(name)).rss();
                    last.put(name, rss);
                    if (next <= earlySec) atFive.put(name, rss);
                    System.out.printf(" %15.1f", rss / 1048576.0);
                }
                System.out.println();
                if (nmt && next % 300 == 0) {
                    StringBuilder line = new StringBuilder("# NMT committed KB, total / code:");
                    for (String name : LISTENERS) {
                        Map<String, Long> now = nmt(pids.get(name));
                        line.append(' ').append(name).append(' ').append(now.get("Total")).append(" / ").append(now.get("Code")).append(';');
                    }
                    System.out.println(line);
                }
                if (next <= earlySec && next + sample > earlySec) {
                    crashesAtFive = countCrashes(s);
                    for (String name : LISTENERS) {
                        smapsAtFive.put(name, smaps(pids.get(name)));
                        cpuAtFive.put(name, cpuTicks(pids.get(name)));
                        nanosAtFive.put(name, Cpu.nanos(pids.get(name)));
                        if (nmt) {
                            nmtAtFive.put(name, nmt(pids.get(name)));
                            histogramAtFive.put(name, histogram(pids.get(name)));
                        }
                    }
                }
            }
            long crashes = countCrashes(s), steadyCrashes = crashes - crashesAtFive;
            double steadyMinutes = minutes - earlySec / 60.0;
            System.out.printf("%nafter %d min: %d crashes (%.1f PROCESS_STATE events a second after the early sample), %d mails; the same pids throughout: %s%n",
                    minutes, crashes, steadyCrashes * 3 / (steadyMinutes * 60), mail.getReceivedMessages().length, samePids(s, pids));
            System.out.printf("%-16s %10s %10s %10s   %-52s %10s %14s%s%n", "listener", "early MiB", "end MiB", "growth", "of which, MiB: libjvm / archives / files / anonymous",
                    "CPU ms/min", "CPU ms/crash", idle ? "   schedstat ms/min" : "");
            for (String name : LISTENERS) {
                Map<String, Long> early = smapsAtFive.get(name), late = smaps(pids.get(name));
                StringBuilder where = new StringBuilder();
                for (String kind : List.of("libjvm", "archives", "files", "anonymous"))
                    where.append(String.format("%+.2f ", (late.getOrDefault(kind, 0L) - early.getOrDefault(kind, 0L)) / 1024.0));
                double cpuMs = (cpuTicks(pids.get(name)) - cpuAtFive.get(name)) * 10.0;
                System.out.printf("%-16s %10.1f %10.1f %10.2f   %-52s %10.1f %14.2f%s%n", name, atFive.get(name) / 1048576.0, last.get(name) / 1048576.0,
                        (last.get(name) - atFive.get(name)) / 1048576.0, where.toString().trim(), cpuMs / steadyMinutes,
                        cpuMs / Math.max(1, steadyCrashes),
                        idle ? String.format("   %18.2f", (Cpu.nanos(pids.get(name)) - nanosAtFive.get(name)) / 1e6 / steadyMinutes) : "");
            }
            if (nmt) {
                for (String name : LISTENERS) {
                    Map<String, Long> early = nmtAtFive.getOrDefault(name, Map.of()), late = nmt(pids.get(name));
                    StringBuilder grew = new StringBuilder();
                    late.forEach((category, kb) -> {
                        long delta = kb - early.getOrDefault(category, 0L);
                        if (delta != 0 || category.equals("Java Heap") || category.equals("Code"))
                            grew.append(String.format(" %s %d to %d KB (%+d);", category, early.getOrDefault(category, 0L), kb, delta));
                    });
                    System.out.printf("NMT committed, %.0f min to end, %s:%s%n", earlySec / 60.0, name, grew.length() == 0 ? " no change" : grew);
                }
                for (String name : LISTENERS) {
                    Map<String, Long> early = histogramAtFive.getOrDefault(name, Map.of()), late = histogram(pids.get(name));
                    List<Map.Entry<String, Long>> grew = new ArrayList<>();
                    late.forEach((type, bytes) -> grew.add(Map.entry(type, bytes - early.getOrDefault(type, 0L))));
                    grew.sort(Map.Entry.<String, Long>comparingByValue().reversed());
                    StringBuilder top = new StringBuilder();
                    for (Map.Entry<String, Long> e : grew.subList(0, Math.min(5, grew.size())))
                        if (!e.getKey().equals("Total")) top.append(' ').append(e.getKey()).append(String.format(" %+d B;", e.getValue()));
                    System.out.printf("live heap, %s: %d KB at %.0f min, %d KB at the end; grew most:%s%n", name, early.getOrDefault("Total", 0L) / 1024,
                            earlySec / 60.0, late.getOrDefault("Total", 0L) / 1024, top);
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

    /** Live bytes by class after a full collection, and "Total". */
    static Map<String, Long> histogram(int pid) throws Exception {
        Repo.Result r = Repo.run(List.of("jcmd", String.valueOf(pid), "GC.class_histogram"), Map.of(), new byte[0], Duration.ofSeconds(30));
        Map<String, Long> bytes = new LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)").matcher(r.out());
        while (m.find()) bytes.put(m.group(2), Long.parseLong(m.group(1)));
        m = java.util.regex.Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)").matcher(r.out());
        if (m.find()) bytes.put("Total", Long.parseLong(m.group(1)));
        return bytes;
    }

    /** Resident KB of a process by kind of mapping, from /proc/PID/smaps. */
    static Map<String, Long> smaps(int pid) throws Exception {
        Map<String, Long> kb = new LinkedHashMap<>();
        String kind = "anonymous";
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] f = line.trim().split("\\s+", 6);
                String path = f.length == 6 ? f[5] : "";
                kind = path.endsWith("libjvm.so") ? "libjvm" : path.endsWith(".jsa") ? "archives" : path.startsWith("/") ? "files" : "anonymous";
            } else if (line.startsWith("Rss:")) {
                kb.merge(kind, Long.parseLong(line.replaceAll("\\D", "")), Long::sum);
            }
        }
        return kb;
    }

    /** utime + stime of a process, its threads and its waited-for children, in 10 ms clock ticks. */
    static long cpuTicks(int pid) throws Exception {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    static long countCrashes(Supervisord s) {
        return Repo.count(s.log(), "exited: (crasher:)?crasher_\\d \\(exit status 1; not expected\\)");
    }

    static boolean samePids(Supervisord s, Map<String, Integer> pids) throws Exception {
        List<String> moved = new ArrayList<>();
        for (ProcessInfo p : s.unix().getAllProcessInfo()) if (pids.containsKey(p.name()) && pids.get(p.name()) != p.pid()) moved.add(p.name());
        return moved.isEmpty();
    }
}
