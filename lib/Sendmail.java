package lib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        Subprocess.Result result;
        try {
            result = Subprocess.run(argv, message, timeout, MAX_OUTPUT);
        } catch (IOException e) {
            throw new IOException("cannot run sendmail command " + argv + ": " + e.getMessage());
        }
        if (result.timedOut()) {
            throw new IOException("sendmail command " + argv.get(0) + " did not finish within " + timeout.toSeconds() + " s");
        }
        if (result.status() != 0) {
            throw new IOException("sendmail command " + argv.get(0) + " exited with status " + result.status()
                    + (result.output().isEmpty() ? "" : ": " + result.output()));
        }
    }

    @Override
    public String toString() { return "sendmail command " + String.join(" ", argv); }
}
