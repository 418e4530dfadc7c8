package lib;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command (sendmail, gcore) without a shell, all of it bounded by one
 * timeout: feeding its stdin, waiting for it, reading its output. stdin is
 * written and output read on their own threads, so a command that stops
 * reading, or writes more than a pipe holds, cannot block the caller past
 * the timeout. Output never reaches our stdout (the supervisor protocol).
 * The child does not inherit the passwords of our environment.
 */
public final class Subprocess {
    /** Secrets the plugins read from their environment; no child needs them. */
    static final List<String> SECRETS = List.of(MailOptions.PASSWORD_ENV, "SUPERVISOR_PASSWORD", "HTTPOK_AUTH");
    /** Variables an option named as env:NAME (a Slack URL, a routing key, a proxy's credentials): kept from children too. */
    private static final java.util.Set<String> NAMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A variable that holds a secret the user pointed us at: no child gets it. */
    public static void secret(String name) { NAMED.add(name); }

    /** How it ended: the exit status (-1 when killed at the timeout) and the first bytes of stdout and stderr together. */
    public record Result(int status, String output, boolean timedOut) {}

    private Subprocess() {}

    /** stdin: the bytes to feed, or null for /dev/null. At most maxOutput bytes of output are kept. */
    public static Result run(List<String> argv, byte[] stdin, Duration timeout, int maxOutput) throws IOException {
        return run(argv, stdin, timeout, maxOutput, java.util.Map.of());
    }

    /** The same, with these variables added to the child's environment. */
    public static Result run(List<String> argv, byte[] stdin, Duration timeout, int maxOutput, java.util.Map<String, String> env)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
        SECRETS.forEach(builder.environment()::remove);
        NAMED.forEach(builder.environment()::remove);
        builder.environment().putAll(env);
        if (stdin == null) builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = builder.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = daemon("output of " + argv.get(0), () -> keep(process.getInputStream(), output, maxOutput));
        if (stdin != null) {
            daemon("input of " + argv.get(0), () -> {
                try (OutputStream in = process.getOutputStream()) {
                    in.write(stdin);
                } catch (IOException e) {
                    // it exited, or was killed, before reading everything; its status says why
                }
            });
        }
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(1000); // a child it left behind may hold the pipe open: what came so far is enough
            String said;
            synchronized (output) {
                said = output.toString(StandardCharsets.UTF_8).strip();
            }
            return new Result(finished ? process.exitValue() : -1, said, !finished);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0));
        }
    }

    private static Thread daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void keep(InputStream in, ByteArrayOutputStream sink, int max) {
        byte[] buffer = new byte[4096];
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) { // read to the end even past max, so the child never blocks
                synchronized (sink) {
                    if (sink.size() < max) sink.write(buffer, 0, Math.min(n, max - sink.size()));
                }
            }
        } catch (IOException ignored) {
            // the process is gone; what it said so far is kept
        }
    }
}
