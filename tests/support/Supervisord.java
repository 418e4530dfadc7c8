import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lib.ProcessInfo;
import lib.Supervisor;

/**
 * A real supervisord (Debian's package) in a temporary directory: a unix
 * socket without auth and an inet server on 127.0.0.1:random with user "u"
 * and password "p". It runs without HOME, as under an init system.
 * close() stops it by pid and kills whatever it left.
 */
final class Supervisord implements AutoCloseable {
    static final String USER = "u", PASSWORD = "p";
    final Path dir;
    final Path socket;
    final int port;
    private Process process;

    private Supervisord(Path dir, Path socket, int port) {
        this.dir = dir;
        this.socket = socket;
        this.port = port;
    }

    /** Starts supervisord with these program/eventlistener sections; `%(dir)s` in them is the temp dir, `%(port)s` the inet port. */
    static Supervisord start(String sections) throws IOException, InterruptedException {
        return start(sections, "debug");
    }

    /** The same with supervisord's loglevel (debug copies every program's output into supervisord's own log). */
    static Supervisord start(String sections, String loglevel) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("supervisord");
        Path socket = dir.resolve("supervisor.sock");
        int port = Repo.freePort();
        String config = """
                [unix_http_server]
                file=%1$s

                [inet_http_server]
                port=127.0.0.1:%2$d
                username=%3$s
                password=%4$s

                [supervisord]
                nodaemon=true
                logfile=%5$s/supervisord.log
                pidfile=%5$s/supervisord.pid
                childlogdir=%5$s
                loglevel=%6$s
                minfds=1024
                minprocs=200

                [rpcinterface:supervisor]
                supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

                """.formatted(socket, port, USER, PASSWORD, dir, loglevel) + sections.replace("%(dir)s", dir.toString()).replace("%(port)s", String.valueOf(port));
        Files.writeString(dir.resolve("supervisord.conf"), config);
        Supervisord supervisord = new Supervisord(dir, socket, port);
        try {
            supervisord.launch();
        } catch (IOException | RuntimeException | Error | InterruptedException e) {
            supervisord.close();
            throw e;
        }
        return supervisord;
    }

    /** Runs supervisord on the config in dir and waits until it answers. */
    private void launch() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("supervisord", "-c", dir.resolve("supervisord.conf").toString())
                .directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("supervisord.out").toFile()))
                .redirectErrorStream(true);
        builder.environment().remove("HOME"); // as under init systems: plugins must cope without it
        Process started = builder.start();
        process = started;
        Repo.await("supervisord to answer on " + socket, Duration.ofSeconds(20), () -> {
            if (!started.isAlive()) throw new AssertionError("supervisord exited: " + read("supervisord.out"));
            try {
                unix().getAllProcessInfo();
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Stops supervisord and its programs (its socket goes too), keeping the directory for restart(). */
    void stop() throws IOException, InterruptedException {
        List<ProcessHandle> started = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        for (ProcessHandle child : started) child.destroyForcibly();
    }

    /** Starts supervisord again on the same config, socket and port, as after a reboot or an upgrade. */
    void restart() throws IOException, InterruptedException {
        if (process.isAlive()) throw new IllegalStateException("supervisord is running");
        launch();
    }

    /** Waits until every configured process is RUNNING and returns them. */
    List<ProcessInfo> awaitAllRunning(Duration timeout) throws IOException, InterruptedException {
        return awaitRunning(timeout, List.of());
    }

    /** Waits until these namespecs (all processes if none) are RUNNING and returns every process. */
    List<ProcessInfo> awaitRunning(Duration timeout, List<String> namespecs) throws IOException, InterruptedException {
        Repo.await(namespecs.isEmpty() ? "every program RUNNING" : String.join(", ", namespecs) + " RUNNING", timeout, () -> {
            try {
                return unix().getAllProcessInfo().stream()
                        .filter(p -> namespecs.isEmpty() || namespecs.contains(p.namespec())).allMatch(ProcessInfo::running);
            } catch (IOException e) {
                return false;
            }
        });
        return unix().getAllProcessInfo();
    }

    Supervisor unix() { return new Supervisor("unix://" + socket, null, null); }

    Supervisor http() { return new Supervisor("http://127.0.0.1:" + port, USER, PASSWORD); }

    String url() { return "unix://" + socket; }

    String log() { return read("supervisord.log"); }

    /** A file in supervisord's directory, e.g. a program's stderr log. */
    String read(String name) {
        try {
            Path file = dir.resolve(name);
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    long pid() { return process.pid(); }

    /** A program's pid as supervisord says it now (0: not running, or no answer). */
    int pidOf(String namespec) {
        try {
            return unix().getProcessInfo(namespec).pid();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Stops supervisord (SIGTERM, which stops its programs) and kills anything still alive after it. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (process != null) stop();
        Repo.deleteTree(dir);
    }
}
