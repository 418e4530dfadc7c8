///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Benchmark: the memory floor under the plugins: a listener that does nothing, without and with picocli parsing memmon-like options. Prints measurements; asserts nothing.
//DEPS info.picocli:picocli:4.7.7
//SOURCES ../support/Repo.java
//SOURCES ../support/Frames.java
//SOURCES ../support/Smaps.java

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;

/**
 * ./jbang tests/bench/floor_bench.java
 *
 * How small can a plugin be on this JVM? Two listeners that do nothing but answer
 * events, compiled here into a jar and run with the plugins' own //JAVA_OPTIONS
 * (read from memmon.java) and with an archive of exactly the classes each loads,
 * as ./jbang gives the plugins:
 *   - "listener": reads events and answers OK; no library at all.
 *   - "listener + picocli": the same after picocli has parsed options like memmon's.
 * For each: RSS after two idle ticks (the largest of 3 starts), and RSS and PSS
 * of six running together. This is what any plugin costs before its own code.
 */
class floor_bench {
    /** The listener protocol and nothing else: READY, a header line, its payload of len bytes, RESULT 2\nOK. */
    static final String LOOP = """
            static void listen() throws Exception {
                while (true) {
                    System.out.print("READY\\n");
                    System.out.flush();
                    StringBuilder header = new StringBuilder();
                    for (int c; (c = System.in.read()) != '\\n'; header.append((char) c)) if (c < 0) return;
                    String len = header.substring(header.indexOf("len:") + 4).split(" ")[0];
                    System.in.readNBytes(Integer.parseInt(len));
                    System.out.print("RESULT 2\\nOK");
                }
            }
            """;

    static final String PLAIN = "public class Plain {\n public static void main(String[] a) throws Exception { listen(); }\n" + LOOP + "}\n";

    static final String PICOCLI = """
            import java.util.*;
            import picocli.CommandLine;
            import picocli.CommandLine.*;
            @Command(name = "withpicocli", mixinStandardHelpOptions = true, version = "1", sortOptions = false)
            public class WithPicocli implements java.util.concurrent.Callable<Integer> {
                @Option(names = {"-c", "--cumulative"}, description = "d") boolean cumulative;
                @Option(names = {"-p", "--program"}, paramLabel = "NAME=SIZE", description = "d") List<String> programs = new ArrayList<>();
                @Option(names = {"-g", "--group"}, paramLabel = "NAME=SIZE", description = "d") List<String> groups = new ArrayList<>();
                @Option(names = {"-a", "--any"}, paramLabel = "SIZE", description = "d") String any;
                @Option(names = {"-s", "--sendmail_program"}, defaultValue = "/usr/sbin/sendmail -t -i", description = "d") String sendmail;
                @Option(names = {"-m", "--email"}, description = "d") String email;
                @Option(names = {"-u", "--uptime"}, description = "d") Long uptime;
                @Option(names = {"-n", "--name"}, description = "d") String name;
                @Option(names = "--dry-run", description = "d") boolean dryRun;
                public Integer call() throws Exception { listen(); return 0; }
                public static void main(String[] a) { System.exit(new CommandLine(new WithPicocli()).execute(a)); }
            """ + LOOP + "}\n";

    record Rung(String name, String main, String source) {}

    public static void main(String... args) throws Exception {
        Path dir = Files.createTempDirectory("floor");
        try {
            String picocli = Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            List<String> options = javaOptions();
            System.out.println("JVM options (memmon.java's //JAVA_OPTIONS): " + String.join(" ", options));
            List<Rung> rungs = List.of(new Rung("listener", "Plain", PLAIN), new Rung("listener + picocli", "WithPicocli", PICOCLI));
            System.out.printf("%-20s %8s %8s %14s %14s%n", "", "classes", "RSS MiB", "six: RSS MiB", "six: PSS MiB");
            for (Rung rung : rungs) {
                Path jar = compile(dir, rung, picocli);
                List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
                java.addAll(options);
                String classpath = jar + ":" + picocli;
                // The list comes from a listener that got two ticks, as ./jbang's does; the archive is built from it.
                Path list = dir.resolve(rung.main() + ".classes"), archive = dir.resolve(rung.main() + ".jsa");
                stop(ticked(start(with(java, "-XX:DumpLoadedClassList=" + list, "-cp", classpath, rung.main(), "-a", "1GB"))));
                List<String> dump = with(java, "-Xshare:dump", "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + archive, "-cp", classpath);
                if (new ProcessBuilder(dump).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() != 0) {
                    throw new IllegalStateException("could not build the archive: " + dump);
                }
                List<String> run = with(java, "-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-cp", classpath, rung.main(), "-a", "1GB");
                double rss = 0;
                for (int i = 0; i < 3; i++) {
                    Process p = ticked(start(run));
                    rss = Math.max(rss, Smaps.kib(p.pid(), "Rss:") / 1024.0);
                    stop(p);
                }
                List<Process> six = new ArrayList<>();
                for (int i = 0; i < 6; i++) six.add(start(run));
                double sixRss = 0, sixPss = 0;
                for (Process p : six) ticked(p);
                for (Process p : six) {
                    sixRss += Smaps.kib(p.pid(), "Rss:") / 1024.0;
                    sixPss += Smaps.kib(p.pid(), "Pss:") / 1024.0;
                }
                for (Process p : six) stop(p);
                long classes = Files.readAllLines(list).stream().filter(l -> !l.startsWith("#") && !l.startsWith("@")).count();
                System.out.printf("%-20s %8d %8.1f %14.1f %14.1f%n", rung.name(), classes, rss, sixRss, sixPss);
            }
        } finally {
            Repo.deleteTree(dir);
        }
    }

    /** memmon.java's //JAVA_OPTIONS, the ones every plugin runs with. */
    static List<String> javaOptions() throws Exception {
        for (String line : Files.readAllLines(Repo.ROOT.resolve("memmon.java"))) {
            if (line.startsWith("//JAVA_OPTIONS ")) return Arrays.asList(line.substring("//JAVA_OPTIONS ".length()).trim().split("\\s+"));
        }
        throw new IllegalStateException("memmon.java has no //JAVA_OPTIONS");
    }

    /** The rung's source compiled with the JDK's compiler into a jar (an archive takes classes from jars only). */
    static Path compile(Path dir, Rung rung, String picocli) throws Exception {
        Path src = dir.resolve(rung.main() + ".java"), classes = dir.resolve(rung.main() + "-classes");
        Files.writeString(src, rung.source());
        Files.createDirectories(classes);
        if (ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", picocli, "-d", classes.toString(), src.toString()) != 0) {
            throw new IllegalStateException("could not compile " + src);
        }
        Path jar = dir.resolve(rung.main() + ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); var files = Files.list(classes)) {
            for (Path f : files.toList()) {
                out.putNextEntry(new JarEntry(f.getFileName().toString()));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    static List<String> with(List<String> java, String... more) {
        List<String> all = new ArrayList<>(java);
        all.addAll(List.of(more));
        return all;
    }

    static Process start(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Frames.expect(p.getInputStream(), "READY\n");
        return p;
    }

    /** Two TICK_5 events a second apart, as footprint_bench gives the plugins. */
    static Process ticked(Process p) throws Exception {
        OutputStream in = p.getOutputStream();
        for (int serial = 1; serial <= 2; serial++) {
            in.write(Frames.frame("TICK_5", serial, "when:" + System.currentTimeMillis() / 1000).getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Frames.expect(p.getInputStream(), "RESULT 2\nOKREADY\n");
            Thread.sleep(1000);
        }
        return p;
    }

    static void stop(Process p) throws Exception {
        p.getOutputStream().close();
        p.waitFor();
    }
}
