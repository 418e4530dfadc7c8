import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Where the repository is, and small process and timing helpers for tests. */
final class Repo {
    static final Path ROOT = find();

    private Repo() {}

    private static Path find() {
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("lib/Listener.java")) && Files.exists(p.resolve("jbang"))) return p;
        }
        throw new IllegalStateException("run the tests from inside the repository");
    }

    static String launcher() { return ROOT.resolve("jbang").toString(); }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port for a server that starts later (supervisord's, a program's, GreenMail's). It is free now, and it is
     * below the kernel's ephemeral range (32768 and up), so no outgoing connection can take it as its local port in
     * the meantime; and no other test of this run is given it, though classes run side by side.
     */
    static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int tries = 0; tries < 1000; tries++) {
            int port = 20000 + random.nextInt(12000);
            if (!GIVEN.add(port)) continue;
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException inUse) {
                // something else has it: another try
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    /** Polls until the condition holds; fails the test with `what` when it does not in time. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            Thread.sleep(100);
        }
    }

    /** How many times the regex matches in the text (log lines, mostly). */
    static int count(String text, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    record Result(int status, String out, String err) {}

    /** Runs a command to completion (killed after the timeout), stdin from the given bytes. */
    static Result run(List<String> command, Map<String, String> extraEnv, byte[] stdin, Duration timeout)
            throws IOException, InterruptedException {
        return run(ROOT, command, extraEnv, stdin, timeout);
    }

    /** The same, from another working directory. */
    static Result run(Path workingDir, List<String> command, Map<String, String> extraEnv, byte[] stdin, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("out", ".txt"), err = Files.createTempFile("err", ".txt");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            Map<String, String> env = builder.environment();
            for (Map.Entry<String, String> e : extraEnv.entrySet()) {
                if (e.getValue() == null) env.remove(e.getKey());
                else env.put(e.getKey(), e.getValue());
            }
            Process process = builder.start();
            try (var in = process.getOutputStream()) {
                in.write(stdin);
            } catch (IOException ignored) {
                // the process did not read all of it; its status tells
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s: " + command
                        + "\nstderr: " + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static final java.util.Set<String> BUILT = new java.util.HashSet<>();

    /**
     * Compiles a script with ./jbang build, so that a timed run or supervisord
     * need not wait for javac. Once per test run: the classes that need a
     * plugin all ask, and may ask at the same time.
     */
    static synchronized void build(String script) throws IOException, InterruptedException {
        if (BUILT.contains(script)) return;
        Result built = run(List.of(launcher(), "build", script));
        if (built.status() != 0) throw new AssertionError("./jbang build " + script + " failed:\n" + built.err());
        BUILT.add(script);
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        return run(command, new HashMap<>(), new byte[0], Duration.ofMinutes(3));
    }

    /** A temporary directory removed with everything in it when the test is done. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
