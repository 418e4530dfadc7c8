package lib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * --exec CMD: runs a command for each alert, without a shell (split into
 * words as -s is), the alert on its stdin as the --webhook JSON document
 * and SUPERLANCE_SUBJECT, SUPERLANCE_PLUGIN, SUPERLANCE_PROCESS and
 * SUPERLANCE_STATUS in its environment. Bounded in time like sendmail (30 s,
 * then killed); a non-zero exit or a timeout is retried like a 5xx. Our
 * passwords are not in its environment (lib/Subprocess). Monit's `exec`,
 * and a way to reach anything with a five-line script.
 */
public final class ExecChannel implements Channel {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String SEP = "\u001f"; // ASCII's unit separator

    private final List<String> argv;
    private final WebChannel json; // renders the --webhook document
    private final Duration timeout;

    public ExecChannel(String command, WebChannel json, Duration timeout) {
        this.argv = Argv.split(command);
        if (argv.isEmpty()) throw new IllegalArgumentException("--exec: no command given");
        this.json = json;
        this.timeout = timeout;
    }

    @Override
    public String toString() { return "exec " + argv.get(0); }

    @Override
    public String route() { return "a command, no shell, " + timeout.toSeconds() + " s at most"; }

    @Override
    public String verb() { return "run"; }

    /**
     * The webhook document as the body; the variables, NAME=value apart by
     * SEP (Mail keeps no newline in From), ride in the envelope's From, which
     * nothing else reads for this channel.
     */
    @Override
    public Mail envelope(Alert alert) {
        String process = alert.events().isEmpty() ? "" : alert.events().stream()
                .map(e -> Selection.namespec(e.group(), e.process())).filter(n -> !n.isEmpty()).distinct()
                .reduce((a, b) -> a + "," + b).orElse("");
        String vars = "SUPERLANCE_SUBJECT=" + alert.subject().replace(SEP, " ") + SEP + "SUPERLANCE_PLUGIN=" + alert.plugin()
                + SEP + "SUPERLANCE_PROCESS=" + process + SEP + "SUPERLANCE_STATUS=" + alert.status();
        return new Mail(vars, List.of(toString()), alert.subject(), json.envelope(alert).body());
    }

    @Override
    public void send(Mail envelope) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : envelope.from().split(SEP)) env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        Subprocess.Result r = Subprocess.run(argv, envelope.body().getBytes(StandardCharsets.UTF_8), timeout, 4096, env);
        if (r.timedOut()) throw new IOException(this + " did not finish within " + timeout.toSeconds() + " s (killed)");
        if (r.status() != 0) throw new IOException(this + " exited with status " + r.status() + (r.output().isEmpty() ? "" : ": " + r.output()));
    }
}
