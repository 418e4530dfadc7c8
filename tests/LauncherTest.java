import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ./jbang: bootstrap from Maven Central, concurrent first runs, no HOME, stdout left to the program. */
class LauncherTest {
    private Path dir;

    @BeforeEach
    void setUp() throws Exception { dir = Files.createTempDirectory("launcher"); }

    @AfterEach
    void tearDown() throws Exception { Repo.deleteTree(dir); }

    /** PATH without any jbang on it, so that the launcher must use its own copy. */
    private static String pathWithoutJbang() {
        return Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                .filter(d -> !Files.exists(Path.of(d.isEmpty() ? "." : d, "jbang")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private Map<String, String> env(String cache) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", pathWithoutJbang());
        env.put("SUPERLANCE_JBANG_CACHE", cache);
        env.put("SUPERLANCE_JBANG_LAUNCHER", null);
        return env;
    }

    @Test
    void concurrentFirstRunsBootstrapOneCopyWithoutHome() throws Exception {
        String cache = dir.resolve("cache").toString();
        Map<String, String> env = env(cache);
        env.put("HOME", null);
        List<CompletableFuture<Repo.Result>> runs = List.of(1, 2, 3).stream().map(i -> CompletableFuture.supplyAsync(() -> {
            try {
                return Repo.run(List.of(Repo.launcher(), "version"), env, new byte[0], Duration.ofMinutes(4));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        })).toList();
        for (CompletableFuture<Repo.Result> run : runs) {
            Repo.Result r = run.get();
            assertEquals(0, r.status(), r.err());
            assertEquals("0.132.1\n", r.out(), "stdout holds JBang's answer only; stderr: " + r.err());
        }
        try (var entries = Files.list(Path.of(cache))) {
            assertEquals(List.of("jbang-cli-0.132.1"), entries.map(p -> p.getFileName().toString()).toList(),
                    "one finished copy, no temp dirs left");
        }
        try (var jars = Files.list(Path.of(cache, "jbang-cli-0.132.1"))) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            // The versions JBang's own build uses, not Maven's nearest-wins picks.
            for (String jar : List.of("gson-2.13.1.jar", "commons-lang3-3.16.0.jar", "commons-codec-1.18.0.jar", "asm-9.8.jar")) {
                assertTrue(names.contains(jar), jar + " in " + names);
            }
            assertTrue(names.stream().noneMatch(n -> n.startsWith("gson-2.10")), names.toString());
        }
    }

    @Test
    void theProgramOwnsStdoutEvenOnAColdBuild() throws Exception {
        Map<String, String> env = env(null); // the usual per-user copy of JBang
        env.put("JBANG_CACHE_DIR", dir.resolve("jbang-cache").toString()); // forces a fresh compile
        env.put("SUPERVISOR_SERVER_URL", "unix:///nonexistent.sock");
        String event = Frames.frame("TICK_5", 1, "when:1700000");
        Repo.Result r = Repo.run(List.of(Repo.launcher(), "tests/fixtures/eventlog.java"), env,
                event.getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(3));
        assertEquals(0, r.status(), r.err());
        assertEquals("READY\nRESULT 2\nOKREADY\n", r.out());
        assertTrue(r.err().contains("[jbang]"), "JBang's build messages go to stderr: " + r.err());
        assertTrue(r.err().contains("cannot connect to supervisord"), "the RPC failure is logged, not fatal: " + r.err());
    }

    @Test
    void theJvmsOwnOutputGoesToStderrInEveryPlugin() throws Exception {
        // -XX:+PrintCommandLineFlags writes to the JVM's standard output unless told otherwise (DisplayVMOutputToStderr).
        for (String plugin : List.of("memmon", "httpok", "crashmail", "crashmailbatch", "fatalmailbatch", "crashsms")) {
            List<String> args = switch (plugin) {
                case "memmon" -> List.of("-a", "1GB");
                case "httpok" -> List.of("http://127.0.0.1:1/");
                case "crashmail" -> List.of("-a");
                default -> List.of("-t", "a@example.com", "-f", "b@example.com");
            };
            List<String> command = new java.util.ArrayList<>(List.of(Repo.launcher(), "--java-options=-XX:+PrintCommandLineFlags", plugin + ".java"));
            command.addAll(args);
            Repo.Result r = Repo.run(command, Map.of("SUPERVISOR_SERVER_URL", "unix:///nonexistent.sock"), new byte[0], Duration.ofMinutes(3));
            assertEquals("READY\n", r.out(), plugin + ": " + r.err());
            assertTrue(r.err().contains("-XX:+DisplayVMOutputToStderr"), plugin + " printed its flags on stderr: " + r.err());
        }
    }

    /** The launcher's own copy of JBang's CLI, bootstrapped if this machine has none yet. */
    private static Path jbangCli() throws Exception {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cli = (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("superlance-jbang/jbang-cli-0.132.1");
        if (!Files.exists(cli.resolve(".complete"))) {
            Map<String, String> env = new HashMap<>();
            env.put("PATH", pathWithoutJbang());
            env.put("SUPERLANCE_JBANG_LAUNCHER", null);
            env.put("SUPERLANCE_JBANG_CACHE", null);
            assertEquals(0, Repo.run(List.of(Repo.launcher(), "version"), env, new byte[0], Duration.ofMinutes(4)).status());
        }
        return cli;
    }

    /** A copy of crashmail.java and lib, as a user keeps them on a server: returns the copy's lib. */
    private Path copyOfCrashmail() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app/lib"));
        Files.copy(Repo.ROOT.resolve("crashmail.java"), dir.resolve("app/crashmail.java"));
        try (var files = Files.list(Repo.ROOT.resolve("lib"))) {
            for (Path f : files.toList()) Files.copy(f, app.resolve(f.getFileName()));
        }
        return app;
    }

    @Test
    void aWarmStartSkipsJbangAndNeverRunsAStaleBuildAfterAnEdit() throws Exception {
        Path app = copyOfCrashmail();
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Path cli = cache.resolve("jbang-cli-0.132.1");
        Path broken = Files.createDirectories(dir.resolve("broken-cli")); // "installed", but no JBang in it
        Files.writeString(broken.resolve(".complete"), "");
        Map<String, String> env = env(cache.toString());
        env.put("JBANG_CACHE_DIR", dir.resolve("jbang-cache").toString()); // its own builds, removed with the test
        List<String> version = List.of(Repo.launcher(), dir.resolve("app/crashmail.java").toString(), "--version");

        Files.createSymbolicLink(cli, jbangCli());
        Repo.Result first = Repo.run(version, env, new byte[0], Duration.ofMinutes(3));
        assertEquals("superlance-jbang 0.1.0\n", first.out(), first.err());

        Files.delete(cli);
        Files.createSymbolicLink(cli, broken);
        Repo.Result warm = Repo.run(version, env, new byte[0], Duration.ofMinutes(1));
        assertEquals("superlance-jbang 0.1.0\n", warm.out(), "the second start did without JBang: " + warm.err());

        // An edit in a library file, as with vi on a server: the kept command is not used, JBang is needed.
        Path cliJava = app.resolve("Cli.java");
        Files.writeString(cliJava, Files.readString(cliJava).replace("\"superlance-jbang 0.1.0\"", "\"superlance-jbang 0.1.0-edited\""));
        Repo.Result stale = Repo.run(version, env, new byte[0], Duration.ofMinutes(1));
        assertTrue(stale.status() != 0 && !stale.out().contains("0.1.0"), "without JBang an edited script does not run: " + stale);

        Files.delete(cli);
        Files.createSymbolicLink(cli, jbangCli());
        Repo.Result edited = Repo.run(version, env, new byte[0], Duration.ofMinutes(3));
        assertEquals("superlance-jbang 0.1.0-edited\n", edited.out(), edited.err());

        // A kept command whose build is gone (JBang's cache cleared) is not used either: JBang builds again.
        Repo.deleteTree(dir.resolve("jbang-cache"));
        Repo.Result rebuilt = Repo.run(version, env, new byte[0], Duration.ofMinutes(3));
        assertEquals("superlance-jbang 0.1.0-edited\n", rebuilt.out(), rebuilt.err());
        kept(cache, ""); // one kept command per script: an edit replaces the earlier one
    }

    @Test
    void laterStartsMapAnArchiveOfTheClassesTheListenerLoaded() throws Exception {
        Path app = copyOfCrashmail();
        Path cache = Files.createDirectories(dir.resolve("cache"));
        Files.createSymbolicLink(cache.resolve("jbang-cli-0.132.1"), jbangCli());
        Map<String, String> env = env(cache.toString());
        env.put("JBANG_CACHE_DIR", dir.resolve("jbang-cache").toString());
        env.put("SUPERVISOR_SERVER_URL", "unix:///nonexistent.sock");
        List<String> crashmail = List.of(Repo.launcher(), dir.resolve("app/crashmail.java").toString(), "-a");

        // --version loads no listener: its list of classes is not made into an archive, the next run writes one.
        Repo.Result version = Repo.run(List.of(Repo.launcher(), dir.resolve("app/crashmail.java").toString(), "--version"),
                env, new byte[0], Duration.ofMinutes(3));
        assertEquals("superlance-jbang 0.1.0\n", version.out(), version.err());
        assertEquals("no archive", archiveMapped(crashmail, env));
        Path list = kept(cache, ".classes");
        assertTrue(Files.readAllLines(list).contains("lib/Listener"), "the listener's classes were listed");
        assertEquals("mapped " + kept(cache, "").getFileName() + ".jsa", archiveMapped(crashmail, env));
        assertEquals("mapped " + kept(cache, "").getFileName() + ".jsa", archiveMapped(crashmail, env), "the same archive again");

        // The archive of a script that is gone, as after a removed checkout, goes when the next one is built.
        Files.writeString(cache.resolve("run/gone"), "java -classpath x.jar gone\n0123  " + dir.resolve("gone/memmon.java") + "\n");
        Files.writeString(cache.resolve("run/gone.jsa"), "13 MB");

        // An edit: JBang builds again, and the archive of the old build is not used.
        Path cliJava = app.resolve("Cli.java");
        Files.writeString(cliJava, Files.readString(cliJava).replace("\"superlance-jbang 0.1.0\"", "\"superlance-jbang 0.1.0-edited\""));
        assertEquals("no archive", archiveMapped(crashmail, env));
        assertTrue(!Files.exists(kept(cache, "").resolveSibling(kept(cache, "").getFileName() + ".jsa")), "the old archive is gone");
        assertTrue(Files.exists(cache.resolve("run/gone.jsa")));
        assertEquals("mapped " + kept(cache, "").getFileName() + ".jsa", archiveMapped(crashmail, env), "a new one for the new build");
        assertTrue(!Files.exists(cache.resolve("run/gone.jsa")), "the archive of a script that is gone was removed");
        Repo.Result edited = Repo.run(List.of(Repo.launcher(), dir.resolve("app/crashmail.java").toString(), "--version"),
                env, new byte[0], Duration.ofMinutes(1));
        assertEquals("superlance-jbang 0.1.0-edited\n", edited.out(), edited.err());
    }

    /** The one kept command in the cache (suffix ""), or its list of classes, archive, ... */
    private static Path kept(Path cache, String suffix) throws Exception {
        try (var files = Files.list(cache.resolve("run"))) {
            List<Path> commands = files.filter(f -> f.getFileName().toString().matches("[0-9a-f]{40}")).toList();
            assertEquals(1, commands.size(), commands.toString());
            return commands.get(0).resolveSibling(commands.get(0).getFileName() + suffix);
        }
    }

    /** Starts the listener, and says whether its JVM maps a class data archive from the launcher's cache. */
    private static String archiveMapped(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        env.forEach((k, v) -> {
            if (v == null) builder.environment().remove(k);
            else builder.environment().put(k, v);
        });
        Process p = builder.start();
        try {
            Frames.expect(p.getInputStream(), "READY\n"); // the launcher execs the JVM: p is the JVM
            String archive = Files.readAllLines(Path.of("/proc/" + p.pid() + "/maps")).stream()
                    .filter(l -> l.endsWith(".jsa") && l.contains("/cache/run/"))
                    .map(l -> "mapped " + l.substring(l.lastIndexOf('/') + 1)).findFirst().orElse("no archive");
            p.getOutputStream().close();
            assertTrue(p.waitFor(1, java.util.concurrent.TimeUnit.MINUTES), "the listener exits at the end of its input");
            return archive;
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aJbangOnPathIsUsedInstead() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fake = bin.resolve("jbang");
        Files.writeString(fake, "#!/bin/sh\necho \"installed jbang: $*\"\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = env(dir.resolve("unused").toString());
        env.put("PATH", bin + File.pathSeparator + pathWithoutJbang());
        Repo.Result r = Repo.run(List.of(Repo.launcher(), "run", "x.java"), env, new byte[0], Duration.ofMinutes(1));
        assertEquals("installed jbang: run x.java\n", r.out(), r.err());
        assertTrue(!Files.exists(dir.resolve("unused")), "nothing bootstrapped");
    }
}
