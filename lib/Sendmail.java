package lib;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Mail through a sendmail-compatible command ("/usr/sbin/sendmail -t -i"):
 * split into argv and run without a shell, the message on its stdin. Its
 * output is captured for the log, never passed to our stdout (the protocol).
 */
public final class Sendmail implements Mail.Sender {
    private static final int MAX_OUTPUT = 4096;
    private final List<String> argv;
    private final Duration timeout;

    public Sendmail(String command, Duration timeout) {
        this.argv = Argv.split(command);
        if (argv.isEmpty()) throw new IllegalArgumentException("the sendmail command is empty");
        this.timeout = timeout;
        // Said at start, not only at the first alert. Not an error: installing an MTA later fixes it, and mails wait until then.
        if (argv.get(0).contains("/") && !Files.isExecutable(Path.of(argv.get(0)))) {
            Log.warn("the sendmail command %s is not an executable file (yet): mails will wait, retried, until it is", argv.get(0));
        }
    }

    @Override
    public void send(Mail mail) throws IOException {
        byte[] message = mail.toBytes();
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run sendmail command " + argv + ": " + e.getMessage());
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(process.getInputStream(), output), "sendmail-output");
        reader.setDaemon(true);
        reader.start();
        try {
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(message);
            } catch (IOException e) {
                // it exited before reading everything; its status says why
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("sendmail command " + argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            reader.join(1000);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running sendmail");
        }
        if (process.exitValue() != 0) {
            String said;
            synchronized (output) {
                said = output.toString(StandardCharsets.UTF_8).strip();
            }
            throw new IOException("sendmail command " + argv.get(0) + " exited with status " + process.exitValue()
                    + (said.isEmpty() ? "" : ": " + said));
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        byte[] buffer = new byte[1024];
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (sink) {
                    if (sink.size() < MAX_OUTPUT) sink.write(buffer, 0, Math.min(n, MAX_OUTPUT - sink.size()));
                }
            }
        } catch (IOException ignored) {
            // the process is gone; what it said so far is kept
        }
    }

    @Override
    public String toString() { return "sendmail command " + String.join(" ", argv); }
}
