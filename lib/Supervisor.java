package lib;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * supervisord's XML-RPC API, over http://host:port or unix:///path.
 * Every call has a timeout. Credentials come from SUPERVISOR_USERNAME and
 * SUPERVISOR_PASSWORD, which supervisord does not set: users add them with
 * environment= in the listener's section.
 */
public final class Supervisor {
    /** A fault from supervisord, with its code and name (BAD_NAME, NOT_RUNNING, ...). */
    public static final class Fault extends IOException {
        public final int code;
        public final String name;

        Fault(int code, String message) {
            // supervisord's faultString already starts with the name ("NOT_RUNNING: web"): say it once.
            super(message.equals(faultName(code)) || message.startsWith(faultName(code) + ":") ? message : faultName(code) + ": " + message);
            this.code = code;
            this.name = faultName(code);
        }
    }

    public static final int UNKNOWN_METHOD = 1, INCORRECT_PARAMETERS = 2, BAD_ARGUMENTS = 3,
            SIGNATURE_UNSUPPORTED = 4, SHUTDOWN_STATE = 6, BAD_NAME = 10, BAD_SIGNAL = 11, NO_FILE = 20,
            NOT_EXECUTABLE = 21, FAILED = 30, ABNORMAL_TERMINATION = 40, SPAWN_ERROR = 50,
            ALREADY_STARTED = 60, NOT_RUNNING = 70, SUCCESS = 80, ALREADY_ADDED = 90, STILL_RUNNING = 91,
            CANT_REREAD = 92;

    public static String faultName(int code) {
        return switch (code) {
            case UNKNOWN_METHOD -> "UNKNOWN_METHOD";
            case INCORRECT_PARAMETERS -> "INCORRECT_PARAMETERS";
            case BAD_ARGUMENTS -> "BAD_ARGUMENTS";
            case SIGNATURE_UNSUPPORTED -> "SIGNATURE_UNSUPPORTED";
            case SHUTDOWN_STATE -> "SHUTDOWN_STATE";
            case BAD_NAME -> "BAD_NAME";
            case BAD_SIGNAL -> "BAD_SIGNAL";
            case NO_FILE -> "NO_FILE";
            case NOT_EXECUTABLE -> "NOT_EXECUTABLE";
            case FAILED -> "FAILED";
            case ABNORMAL_TERMINATION -> "ABNORMAL_TERMINATION";
            case SPAWN_ERROR -> "SPAWN_ERROR";
            case ALREADY_STARTED -> "ALREADY_STARTED";
            case NOT_RUNNING -> "NOT_RUNNING";
            case SUCCESS -> "SUCCESS";
            case ALREADY_ADDED -> "ALREADY_ADDED";
            case STILL_RUNNING -> "STILL_RUNNING";
            case CANT_REREAD -> "CANT_REREAD";
            default -> "FAULT_" + code;
        };
    }

    /** Closes unix sockets whose call ran past its timeout (blocking channels have no read timeout). */
    private static final ScheduledExecutorService WATCHDOG = Watchdog.start("rpc-timeout");

    /** A call that got no answer in time (the server may still be doing what it was asked). */
    public static final class TimedOut extends IOException {
        TimedOut(String message) { super(message); }
    }

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** stopProcess/startProcess with wait last as long as stopwaitsecs or startsecs; one call is bounded anyway. */
    public static final Duration WAIT_TIMEOUT = Duration.ofSeconds(60);
    /** How long stopAndWait goes on polling a process that is still STOPPING (supervisord SIGKILLs it after stopwaitsecs). */
    static final Duration LONGEST_STOP = Duration.ofHours(1);

    private final URI url;
    private final Duration timeout;
    private final Duration waitTimeout;
    private final String authorization; // null without credentials

    public Supervisor(String serverUrl, String username, String password) {
        this(serverUrl, username, password, DEFAULT_TIMEOUT, WAIT_TIMEOUT);
    }

    /** timeout bounds each call, connect included; stop and start with wait get max(timeout, waitTimeout). */
    public Supervisor(String serverUrl, String username, String password, Duration timeout, Duration waitTimeout) {
        this.url = URI.create(serverUrl);
        this.timeout = timeout;
        this.waitTimeout = waitTimeout;
        String scheme = url.getScheme() == null ? "" : url.getScheme();
        if (!scheme.equals("http") && !scheme.equals("unix")) {
            throw new IllegalArgumentException("SUPERVISOR_SERVER_URL must be http://host:port or unix:///path, not " + serverUrl);
        }
        this.authorization = username == null || username.isEmpty() ? null : "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
    }

    /** The client for the supervisord that started this listener. */
    public static Supervisor fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, DEFAULT_TIMEOUT);
    }

    /** The same, each call bounded by this timeout (a crash alert's context must not wait long). */
    public static Supervisor fromEnvironment(Map<String, String> env, Duration timeout) {
        String url = env.get("SUPERVISOR_SERVER_URL");
        if (url == null || url.isBlank()) {
            throw new IllegalStateException("SUPERVISOR_SERVER_URL is not set: this program must run as a supervisor"
                    + " event listener ([eventlistener:x] in supervisord.conf), and supervisord needs a"
                    + " [unix_http_server] or [inet_http_server] section");
        }
        return new Supervisor(url, env.get("SUPERVISOR_USERNAME"), env.get("SUPERVISOR_PASSWORD"), timeout, WAIT_TIMEOUT);
    }

    public List<ProcessInfo> getAllProcessInfo() throws IOException {
        List<ProcessInfo> all = new ArrayList<>();
        if (!(call(timeout, "supervisor.getAllProcessInfo") instanceof List<?> list)) {
            throw new IOException("getAllProcessInfo did not return an array");
        }
        for (Object item : list) all.add(info("getAllProcessInfo", item));
        return all;
    }

    /** supervisord's own pid. */
    public int getPID() throws IOException {
        if (!(call(timeout, "supervisor.getPID") instanceof Number pid)) throw new IOException("getPID did not return an int");
        return pid.intValue();
    }

    public ProcessInfo getProcessInfo(String namespec) throws IOException {
        return info("getProcessInfo", call(timeout, "supervisor.getProcessInfo", namespec));
    }

    private static ProcessInfo info(String method, Object value) throws IOException {
        try {
            return ProcessInfo.from(value);
        } catch (RuntimeException e) {
            throw new IOException("supervisord's answer to " + method + " is not a process: " + e.getMessage());
        }
    }

    public boolean stopProcess(String namespec, boolean wait) throws IOException {
        return Boolean.TRUE.equals(call(wait ? max(waitTimeout, timeout) : timeout, "supervisor.stopProcess", namespec, wait));
    }

    /**
     * Stops a process and returns once it has stopped, however long its
     * stopwaitsecs (workers draining for minutes): when supervisord's own wait
     * outlasts the call's timeout, its state is polled until it leaves
     * STOPPING. Throws when it could not be stopped.
     */
    public void stopAndWait(String namespec) throws IOException {
        long deadline = System.nanoTime() + LONGEST_STOP.toNanos();
        try {
            stopProcess(namespec, true);
            return;
        } catch (TimedOut e) {
            Log.info("%s is still stopping after %d s (a long stopwaitsecs?): waiting until it has stopped", namespec,
                    max(waitTimeout, timeout).toSeconds());
        }
        while (System.nanoTime() < deadline) {
            ProcessInfo p;
            try {
                p = getProcessInfo(namespec);
            } catch (TimedOut e) {
                continue; // supervisord busy: ask again
            }
            if (p.state() != ProcessInfo.STOPPING && p.state() != ProcessInfo.RUNNING) return;
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + namespec + " to stop");
            }
        }
        throw new IOException(namespec + " did not stop within " + LONGEST_STOP.toMinutes() + " minutes");
    }

    public boolean startProcess(String namespec, boolean wait) throws IOException {
        return Boolean.TRUE.equals(call(wait ? max(waitTimeout, timeout) : timeout, "supervisor.startProcess", namespec, wait));
    }

    /**
     * The last `bytes` of a program's "stdout" or "stderr" log as text, and
     * whether the log was longer (its first line is then cut).
     */
    public Tail tailLog(String namespec, String channel, int bytes) throws IOException {
        String method = "supervisor.tailProcess" + (channel.equals("stdout") ? "Stdout" : "Stderr") + "Log";
        if (!(call(timeout, method, namespec, 0, bytes) instanceof List<?> answer) || answer.size() < 3) {
            throw new IOException(method + " did not return [text, offset, overflow]");
        }
        long size = answer.get(1) instanceof Number n ? n.longValue() : -1;
        return new Tail(String.valueOf(answer.get(0)), Boolean.TRUE.equals(answer.get(2)), size);
    }

    /** The end of a log: its text, whether there was more before it, and the log's size in bytes. */
    public record Tail(String text, boolean cut, long size) {}

    /** The last `bytes` of supervisord's own log (where it says how each process exited). */
    public String tailMainLog(int bytes) throws IOException {
        return String.valueOf(call(timeout, "supervisor.readLog", -bytes, 0));
    }

    /** signal is a name ("HUP", "USR1") or a number as text. */
    public boolean signalProcess(String namespec, String signal) throws IOException {
        return Boolean.TRUE.equals(call(timeout, "supervisor.signalProcess", namespec, signal));
    }

    private static Duration max(Duration a, Duration b) { return a.compareTo(b) >= 0 ? a : b; }

    /** One XML-RPC call; faults are thrown as {@link Fault}, with the two common set-up mistakes explained. */
    public Object call(Duration timeout, String method, Object... params) throws IOException {
        byte[] request = XmlRpc.call(method, params).getBytes(StandardCharsets.UTF_8);
        byte[] response;
        try {
            response = post(request, timeout);
        } catch (RuntimeException e) { // a length or chunk size that is not a number
            throw new IOException("supervisord's answer to " + method + " is not the HTTP expected: " + e);
        }
        try {
            return XmlRpc.parseResponse(response);
        } catch (XmlRpc.Fault f) {
            if (f.code == UNKNOWN_METHOD) {
                throw new Fault(f.code, method + " is unknown to supervisord: add a [rpcinterface:supervisor]"
                        + " section (supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface)"
                        + " to supervisord.conf");
            }
            throw new Fault(f.code, f.getMessage());
        }
    }

    /**
     * HTTP/1.1 by hand, over the unix socket or TCP: one request per
     * connection, all of it (connect included) bounded by the timeout. What
     * supervisord's server speaks is small, and java.net.http would cost
     * each listener some 10 MiB of memory.
     */
    private byte[] post(byte[] body, Duration timeout) throws IOException {
        boolean unix = url.getScheme().equals("unix");
        StringBuilder head = new StringBuilder()
                .append("POST /RPC2 HTTP/1.1\r\nHost: ").append(unix ? "localhost" : url.getAuthority())
                .append("\r\nContent-Type: text/xml\r\nContent-Length: ").append(body.length).append("\r\nConnection: close\r\n");
        if (authorization != null) head.append("Authorization: ").append(authorization).append("\r\n");
        head.append("\r\n");
        SocketAddress address = unix ? UnixDomainSocketAddress.of(url.getPath())
                : new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort());
        try (SocketChannel channel = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open()) {
            ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                connect(channel, address, timeout);
                try {
                    channel.write(ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.US_ASCII)));
                    channel.write(ByteBuffer.wrap(body));
                    return readHttpResponse(Channels.newInputStream(channel));
                } catch (IOException e) {
                    if (!channel.isOpen()) {
                        throw new TimedOut("supervisord at " + url + " did not answer within " + timeout.toSeconds() + " s");
                    }
                    throw e;
                }
            } finally {
                watchdog.cancel(false);
            }
        }
    }

    /** Connects, saying what went wrong in terms of supervisord. */
    private void connect(SocketChannel channel, SocketAddress address, Duration timeout) throws IOException {
        String why;
        try {
            channel.connect(address);
            return;
        } catch (AsynchronousCloseException e) { // the watchdog closed it
            why = "no answer within " + timeout.toSeconds() + " s";
        } catch (UnresolvedAddressException e) {
            why = "unknown host";
        } catch (SocketException | NoSuchFileException e) {
            why = e.getMessage();
        }
        throw new IOException("cannot connect to supervisord at " + url + ": " + why);
    }

    private byte[] readHttpResponse(InputStream in) throws IOException {
        String status = readLine(in);
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response: " + status);
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP response: " + status);
        }
        int length = -1;
        boolean chunked = false;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String name = line.substring(0, colon).trim().toLowerCase();
            String value = line.substring(colon + 1).trim();
            if (name.equals("content-length")) length = Integer.parseInt(value);
            if (name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked")) chunked = true;
        }
        checkStatus(code);
        if (chunked) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size = chunkSize(in); size > 0; size = chunkSize(in)) {
                body.write(in.readNBytes(size));
                readLine(in);
            }
            return body.toByteArray();
        }
        return length >= 0 ? in.readNBytes(length) : in.readAllBytes();
    }

    private static int chunkSize(InputStream in) throws IOException {
        String line = readLine(in);
        int semicolon = line.indexOf(';');
        return Integer.parseInt((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) throw new IOException("supervisord closed the connection mid-response");
            if (b != '\r') line.write(b);
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private void checkStatus(int code) throws IOException {
        if (code == 401) {
            throw new IOException("supervisord refused the RPC call (HTTP 401 Unauthorized): give the listener"
                    + " SUPERVISOR_USERNAME and SUPERVISOR_PASSWORD with environment= in its [eventlistener:x]"
                    + " section, matching the username and password of supervisord's http server section");
        }
        if (code != 200) throw new IOException("supervisord at " + url + " answered HTTP " + code);
    }
}
