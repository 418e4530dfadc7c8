///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: memmon's time and CPU from TICK event to RESULT with N supervised programs, and its RSS. Prints measurements; asserts nothing.
//SOURCES ../../lib/*.java
//SOURCES ../support/Repo.java
//SOURCES ../support/Supervisord.java
//SOURCES ../support/Frames.java
//SOURCES ../support/Cpu.java

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lib.ProcessTable;

/**
 * ./jbang tests/bench/memmon_bench.java [N ...]   (default: 10 100 300)
 * SUPERLANCE=/dir/holding/the/superlance/package ./jbang tests/bench/memmon_bench.java 10 300
 *
 * Starts supervisord with N sleeping programs, runs memmon through ./jbang
 * with its stdin and stdout connected here, feeds it TICK_5 events and times
 * each one from the write of the header to the read of "RESULT 2\nOK".
 * The limit is far above any process, so nothing is restarted: this measures
 * the RPC call, the /proc reads and the protocol. CPU a tick is that of
 * memmon's process and of the children it ran and waited for (superlance's
 * memmon runs ps for each process), over the ticks after the first.
 * With SUPERLANCE set, superlance's memmon (python3 -m superlance.memmon)
 * is measured the same way, with -a and with -c -a (it has neither
 * --measure nor --memory-source), in fewer ticks where one takes seconds.
 */
class memmon_bench {
    static final int TICKS = 30;

    public static void main(String... args) throws Exception {
        List<Integer> sizes = args.length == 0 ? List.of(10, 100, 300) : Arrays.stream(args).map(Integer::valueOf).toList();
        Repo.build("memmon.java");
        String superlance = System.getenv("SUPERLANCE");
        System.out.printf("%-5s %-10s %-36s %10s %10s %12s %10s %s%n", "N", "by", "options", "median ms", "max ms", "CPU ms/tick", "RSS MiB", "OSHI jar opened");
        for (int n : sizes) {
            try (Supervisord s = Supervisord.start("[program:sleeper]\ncommand=sleep 100000\nnumprocs=" + n
                    + "\nprocess_name=%(program_name)s_%(process_num)03d\nstartsecs=0\n")) {
                int running = s.awaitAllRunning(Duration.ofMinutes(2)).size();
                if (running != n) throw new IllegalStateException(running + " programs, expected " + n);
                for (List<String> mode : List.of(List.of("-a", "100GB"), List.of("-c", "-a", "100GB"),
                        List.of("-a", "100GB", "--measure", "pss"), List.of("-c", "-a", "100GB", "--measure", "pss"),
                        List.of("-a", "100GB", "--memory-source", "oshi"), List.of("-c", "-a", "100GB", "--memory-source", "oshi"))) {
                    List<String> command = new java.util.ArrayList<>(List.of(Repo.launcher(), "memmon.java"));
                    command.addAll(mode);
                    measure(s, n, "ours", command, Map.of(), TICKS);
                }
                if (superlance != null) {
                    for (List<String> mode : List.of(List.of("-a", "100GB"), List.of("-c", "-a", "100GB"))) {
                        List<String> command = new java.util.ArrayList<>(List.of(System.getenv().getOrDefault("SUPERLANCE_PYTHON", "/usr/bin/python3"),
                                "-m", "superlance.memmon"));
                        command.addAll(mode);
                        measure(s, n, "superlance", command, Map.of("PYTHONPATH", superlance), n >= 100 ? 6 : TICKS); // 7.5 s a tick at 300
                    }
                }
            }
        }
    }

    /** Whether the process has a file open whose path holds this text (a jar it loaded classes from). */
    static boolean opened(long pid, String text) throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + pid + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(fd).toString().contains(text);
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        }
    }

    static void measure(Supervisord s, int n, String by, List<String> command, Map<String, String> env, int ticks) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(Repo.ROOT.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SUPERVISOR_SERVER_URL", s.url());
        builder.environment().putAll(env);
        Process memmon = builder.start();
        try {
            InputStream out = memmon.getInputStream();
            OutputStream in = memmon.getOutputStream();
            Frames.expect(out, "READY\n");
            long[] ms = new long[ticks];
            long cpu = 0;
            for (int i = 0; i < ticks; i++) {
                if (i == 1) cpu = cpuNanos(memmon.pid()); // the first tick loads and links what the others reuse
                byte[] event = Frames.frame("TICK_5", i, "when:" + (System.currentTimeMillis() / 1000)).getBytes(StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                in.write(event);
                in.flush();
                Frames.expect(out, "RESULT 2\nOK");
                ms[i] = (System.nanoTime() - start) / 1_000_000;
                Frames.expect(out, "READY\n");
            }
            double cpuMs = (cpuNanos(memmon.pid()) - cpu) / 1e6 / (ticks - 1);
            long rss = ProcessTable.read((int) memmon.pid()).rss();
            long[] sorted = ms.clone();
            Arrays.sort(sorted);
            System.out.printf("%-5d %-10s %-36s %10d %10d %12.1f %10.1f %s%n", n, by, String.join(" ", command.subList(by.equals("ours") ? 2 : 3, command.size())),
                    sorted[ticks / 2], sorted[ticks - 1], cpuMs, rss / 1048576.0, opened(memmon.pid(), "oshi-core") ? "yes" : "no");
            in.close();
            memmon.waitFor();
        } finally {
            memmon.destroyForcibly();
        }
    }

    /** CPU of the process's threads (schedstat) and of the children it has waited for (cutime + cstime, in 10 ms ticks). */
    static long cpuNanos(long pid) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Cpu.nanos(pid) + (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10_000_000L; // fields 16 and 17
    }
}
