import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A plugin started through ./jbang as supervisord starts it, with the test
 * playing supervisord on its stdin and stdout, one event at a time.
 * Everything it writes to stdout is kept, so a stray byte fails the test.
 */
final class ListenerProcess implements AutoCloseable {
    private static final String ANSWER = "RESULT 2\nOK";
    private final Process process;
    private final Path stderr;
    private final OutputStream stdin;
    private final StringBuffer stdout = new StringBuffer();
    private int answered;

    private ListenerProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[256];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) stdout.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the process is gone
            }
        }, "listener-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** ./jbang PLUGIN.java ARGS with these variables added to the environment (null removes one). */
    static ListenerProcess start(String plugin, List<String> args, Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>(List.of(Repo.launcher(), Repo.ROOT.resolve(plugin + ".java").toString()));
        command.addAll(args);
        Path stderr = Files.createTempFile(plugin, ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
        env.forEach((k, v) -> {
            if (v == null) builder.environment().remove(k);
            else builder.environment().put(k, v);
        });
        return new ListenerProcess(builder.start(), stderr);
    }

    /**
     * Waits for READY, sends one event and waits for its answer; returns how
     * many milliseconds the answer took. Fails if either does not come in time
     * or anything else appears on stdout.
     */
    long event(String name, String payload, Duration timeout) throws InterruptedException, IOException {
        awaitStdout(expected(answered) + "READY\n", Duration.ofMinutes(2)); // the first READY waits for the JVM
        long sent = System.nanoTime();
        stdin.write(Frames.frame(name, answered + 1, payload).getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        awaitStdout(expected(++answered), timeout);
        return (System.nanoTime() - sent) / 1_000_000;
    }

    private static String expected(int answers) { return ("READY\n" + ANSWER).repeat(answers); }

    /** Waits until stdout begins with text; whatever it holds must be the protocol so far. */
    private void awaitStdout(String text, Duration timeout) throws InterruptedException {
        String valid = expected(answered) + "READY\n"; // at most: every answer so far, then READY for the next
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String now = stdout.toString();
            if (!valid.startsWith(now)) throw new AssertionError("stdout is not the protocol: " + tail(now) + "\nstderr:\n" + stderr());
            if (now.startsWith(text)) return;
            String why = !process.isAlive() ? "it exited with status " + process.exitValue()
                    : System.nanoTime() > deadline ? "timed out after " + timeout.toSeconds() + " s" : null;
            if (why != null) {
                throw new AssertionError(why + " waiting for stdout to read '" + tail(text) + "' (it reads '" + tail(now)
                        + "'); stderr:\n" + stderr());
            }
            Thread.sleep(20);
        }
    }

    private static String tail(String text) {
        String t = text.replace("\n", "\\n");
        return t.length() > 40 ? "..." + t.substring(t.length() - 40) : t;
    }

    String stderr() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until stderr matches this regex somewhere (multiline: ^ and $ are line ends). */
    void awaitLog(String regex, Duration timeout) throws InterruptedException {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex, java.util.regex.Pattern.MULTILINE);
        Repo.await("stderr to match " + regex, timeout, () -> pattern.matcher(stderr()).find());
    }

    /** Closes stdin, as supervisord does when it goes. */
    void endInput() throws IOException {
        stdin.close();
    }

    /** Closes stdin and waits for the exit; returns its status. */
    int finish(Duration timeout) throws IOException, InterruptedException {
        endInput();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new AssertionError("still running after EOF\n" + stderr());
        return process.exitValue();
    }

    long pid() { return process.pid(); }

    @Override
    public void close() throws IOException, InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        Files.deleteIfExists(stderr);
    }
}
