import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import lib.Alerts;
import lib.Mail;
import lib.Outbox;
import lib.Supervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** httpok's decisions without supervisord: options, what counts as a failed check, and what a failure does. */
class HttpokTest {
    private HttpServer web;
    private volatile int status = 200;
    private volatile String page = "all good";
    private final CountDownLatch never = new CountDownLatch(1);
    private volatile boolean hang;
    private volatile boolean drip; // headers at once, then the body a byte every 100 ms
    private final List<String> userAgents = Collections.synchronizedList(new ArrayList<>());
    private final List<com.sun.net.httpserver.Headers> requestHeaders = Collections.synchronizedList(new ArrayList<>());
    private FakeSupervisor rpc;
    private final List<Mail> mails = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() throws Exception {
        web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        web.setExecutor(webThreads);
        web.createContext("/", exchange -> {
            userAgents.add(exchange.getRequestHeaders().getFirst("User-Agent"));
            requestHeaders.add(exchange.getRequestHeaders());
            if (hang) {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (drip) {
                exchange.sendResponseHeaders(200, 1000);
                try {
                    for (int i = 0; i < 1000 && never.getCount() > 0; i++) {
                        exchange.getResponseBody().write('x');
                        exchange.getResponseBody().flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client hung up, as it should
                }
                exchange.close();
                return;
            }
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        web.start();
        rpc = new FakeSupervisor();
    }

    @AfterEach
    void stop() throws InterruptedException {
        never.countDown();
        web.stop(0);
        webThreads.shutdownNow();
        rpc.close();
        for (Outbox o : outboxes) o.stop();
    }

    private String url() { return "http://127.0.0.1:" + web.getAddress().getPort() + "/health"; }

    private httpok httpok(String... args) {
        httpok h = new httpok();
        new CommandLine(h).parseArgs(args);
        try {
            h.configure(Map.of("SUPERVISOR_GROUP_NAME", "httpok", "SUPERVISOR_PROCESS_NAME", "httpok"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        h.supervisor = rpc.client();
        Outbox outbox = null;
        if (h.email != null) { // as call() does
            outbox = new Outbox(mails::add, "httpok");
            outboxes.add(outbox);
        }
        h.alerts = new Alerts(outbox, "httpok@example.com", h.to, List.of(), "httpok");
        return h;
    }

    private final List<Outbox> outboxes = new java.util.ArrayList<>();
    private final java.util.concurrent.ExecutorService webThreads = java.util.concurrent.Executors.newCachedThreadPool();

    private List<Mail> sent(httpok h) {
        assertTrue(h.alerts.drain(Duration.ofSeconds(10)));
        return mails;
    }

    @Test
    void badCommandLinesAreUsageErrors() {
        assertEquals(2, AlertsTest.exitStatus(new httpok()), "no URL");
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "http://a/", "http://b/"), "two URLs");
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "ftp://a/"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "localhost:8080"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "-t", "0", "http://a/"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "-c", "ok", "http://a/"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "--insecure", "--ca", "/etc/hostname", "http://a/"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "-m", "not an address", "http://a/"));
        assertEquals(0, AlertsTest.exitStatus(new httpok(), "--version"));
    }

    @Test
    void everySuperlanceOptionParses() {
        httpok h = httpok("-p", "web", "-p", "grp:api", "-a", "-t", "3", "-c", "200", "-c", "204", "-b", "ok",
                "-m", "ops@example.com", "-s", "/usr/sbin/sendmail -t -i", "-g", "/usr/bin/gcore -o", "-d", "/tmp",
                "-e", "-n", "prod", "-w", "30", url());
        assertEquals(List.of("web", "grp:api"), h.programs);
        assertEquals(List.of(200, 204), h.codes);
        assertEquals(3, h.timeout);
        assertEquals(30, h.delay);
        assertEquals(List.of(200), httpok(url()).codes, "200 by default");
    }

    @Test
    void statusAndBodyDecideTheCheck() {
        httpok plain = httpok(url());
        assertNull(plain.check().problem());
        assertEquals("status contacting " + url() + ": 200", plain.check().line());
        assertEquals("httpok", userAgents.get(0));

        status = 500;
        assertEquals("bad status returned", plain.check().problem());
        status = 204;
        page = "";
        assertEquals("bad status returned", plain.check().problem());
        assertNull(httpok("-c", "200", "-c", "204", url()).check().problem(), "-c 200 -c 204 accepts 204");

        status = 200;
        page = "<html>healthy</html>";
        assertNull(httpok("-b", "healthy", url()).check().problem());
        httpok.Check sick = httpok("-b", "ready", url()).check();
        assertEquals("bad body returned", sick.problem());
        assertEquals("httpok [prod]: " + url() + ": bad body returned", httpok("-n", "prod", url()).subject(sick));
        assertEquals("httpok: " + url() + ": bad body returned", httpok(url()).subject(sick));
    }

    @Test
    void aHungServerFailsWhenTheTimeoutIsSpent() {
        hang = true;
        long start = System.nanoTime();
        httpok.Check check = httpok("-t", "1", url()).check();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals("bad status returned", check.problem());
        assertEquals("error contacting " + url() + ": timed out after 1 s", check.line());
        // The server never answers; the bound is generous so that a loaded machine does not fail it.
        assertTrue(ms >= 900 && ms < 15_000, "took " + ms + " ms");
    }

    @Test
    void aBodyDrippingInIsCutWhenTheTimeoutIsSpent() {
        drip = true; // each read gets a byte in time: only the bound on the whole check ends it
        long start = System.nanoTime();
        httpok.Check check = httpok("-t", "1", "-b", "healthy", url()).check();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals("error contacting " + url() + ": timed out after 1 s", check.line());
        // The drip would go on for 100 s; the bound is generous so that a loaded machine does not fail it.
        assertTrue(ms >= 900 && ms < 15_000, "took " + ms + " ms");
    }

    @Test
    void aRefusedConnectionIsRetriedUntilTheServiceIsBack() throws Exception {
        int port = web.getAddress().getPort();
        web.stop(0);
        Thread restart = new Thread(() -> {
            try {
                Thread.sleep(1500);
                web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
                web.createContext("/", exchange -> {
                    exchange.sendResponseHeaders(200, -1);
                    exchange.close();
                });
                web.start();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        restart.start();
        assertNull(httpok("-t", "6", url()).check().problem(), "refused for 1.5 s, then up: healthy");
        restart.join();
        web.stop(0);
        long start = System.nanoTime();
        httpok.Check down = httpok("-t", "2", url()).check();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(down.line().contains("Connection refused") || down.line().contains("ConnectException"), down.line());
        assertTrue(ms >= 900 && ms < 15_000, "retried within the 2 s timeout, took " + ms + " ms");
    }

    @Test
    void aFailureRestartsTheRunningSelectionAndMailsEachStep() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50),
                FakeSupervisor.process("grp", "api", 20, 102, 50),
                FakeSupervisor.process("grp", "batch", 0, 0, 0),
                FakeSupervisor.process("httpok", "httpok", 20, 104, 50));
        status = 503;
        httpok h = httpok("-p", "web", "-p", "grp:batch", "-p", "gone", "-m", "ops@example.com", url());
        h.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.stopProcess [web:web, true]",
                "supervisor.startProcess [web:web, false]"), rpc.calls);
        Mail mail = sent(h).get(0);
        assertEquals("httpok: " + url() + ": bad status returned", mail.subject());
        assertEquals("status contacting " + url() + ": 503\n"
                + "web:web is in RUNNING state, restarting\n"
                + "web:web restarted\n"
                + "grp:batch not in RUNNING state, NOT restarting\n"
                + "Programs not restarted because they did not exist: [gone]\n", mail.body());

        rpc.calls.clear();
        httpok any = httpok("-a", url());
        any.onEvent(AlertsTest.tick());
        assertTrue(rpc.calls.contains("supervisor.stopProcess [grp:api, true]"), rpc.calls.toString());
        assertTrue(rpc.calls.stream().noneMatch(c -> c.contains("httpok:httpok")), "-a never restarts itself: " + rpc.calls);
    }

    @Test
    void aFailedStopIsReportedAndTheProcessIsNotStartedBlindly() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50));
        rpc.faults.put("supervisor.stopProcess", Supervisor.FAILED);
        status = 500;
        httpok h = httpok("-p", "web", "-m", "ops@example.com", url());
        h.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.stopProcess [web:web, true]"), rpc.calls);
        assertTrue(sent(h).get(0).body().contains("Failed to stop process web:web: FAILED: refused by the fake; not starting it"),
                mails.get(0).body());
    }

    @Test
    void delayDryRunAndNotEagerHoldBack() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 5));
        status = 500;
        httpok delayed = httpok("-p", "web", "-w", "30", url());
        delayed.onEvent(AlertsTest.tick());
        httpok dry = httpok("-p", "web", "--dry-run", "-m", "ops@example.com", url());
        dry.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getAllProcessInfo []"), rpc.calls,
                "up 5 s under -w 30, and a dry run: nothing stopped");
        assertEquals(List.of(), sent(dry), "a dry run mails nothing");

        rpc.calls.clear();
        userAgents.clear();
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 0, 0, 0));
        httpok lazy = httpok("-E", "-p", "web", url());
        lazy.onEvent(AlertsTest.tick());
        assertEquals(List.of(), userAgents, "--not-eager: web is not RUNNING, so no check");
        httpok eager = httpok("-p", "web", url());
        eager.onEvent(AlertsTest.tick());
        assertEquals(1, userAgents.size(), "eager by default: checked anyway");
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.getAllProcessInfo []"), rpc.calls,
                "the eager check found web not RUNNING: nothing stopped");
    }

    @Test
    void gcoreRunsWithoutAShellAndItsOutputIsReported() throws Exception {
        Path dir = Files.createTempDirectory("gcore");
        try {
            Path fake = dir.resolve("fake gcore");
            Files.writeString(fake, "#!/bin/sh\necho \"dumping $3 to $2\"\n");
            Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
            httpok h = httpok("-p", "web", "-d", dir.toString(), "-g", "'" + fake + "' -o", url());
            assertEquals("dumping 4242 to " + dir.resolve("grp:web"), h.gcore("grp:web", 4242));
        } finally {
            Repo.deleteTree(dir);
        }
    }

    @Test
    void onlyFailuresInARowRestartAndTheMailListsThem() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50));
        httpok h = httpok("-p", "web", "-m", "ops@example.com", "--failures", "3", url());
        status = 500;
        h.onEvent(AlertsTest.tick());
        h.onEvent(AlertsTest.tick());
        status = 200;
        h.onEvent(AlertsTest.tick()); // a success: the count starts again
        status = 500;
        h.onEvent(AlertsTest.tick());
        h.onEvent(AlertsTest.tick());
        assertTrue(rpc.calls.stream().noneMatch(c -> c.startsWith("supervisor.stopProcess")), "two failures in a row: " + rpc.calls);
        h.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.stopProcess [web:web, true]", "supervisor.startProcess [web:web, false]"),
                rpc.calls.stream().filter(c -> !c.startsWith("supervisor.getAllProcessInfo")).toList(), "the third in a row restarts");
        String body = sent(h).get(0).body();
        assertTrue(body.matches("(?s)status contacting " + java.util.regex.Pattern.quote(url()) + ": 500\n3 checks failed in a row:\n"
                + "(  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}: status contacting [^\n]+: 500\n){3}web:web is in RUNNING state, restarting\n.*"), body);
    }

    @Test
    void withNotEagerAFailureWhileSupervisordStartsTheProgramDoesNotCount() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50), FakeSupervisor.process("web2", "web2", 10, 102, 0));
        status = 500;
        httpok h = httpok("-p", "web", "-p", "web2", "-E", url());
        h.onEvent(AlertsTest.tick());
        assertTrue(rpc.calls.stream().noneMatch(c -> c.startsWith("supervisor.stopProcess")), rpc.calls.toString());
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50), FakeSupervisor.process("web2", "web2", 20, 102, 5));
        h.onEvent(AlertsTest.tick());
        assertTrue(rpc.calls.contains("supervisor.stopProcess [web:web, true]"), "counted once both are up: " + rpc.calls);
    }

    @Test
    void headersAndBasicAuthAreSentAndThePasswordIsNeverShown() throws Exception {
        String withUser = url().replace("http://", "http://alice:s3cret@");
        httpok h = httpok("--header", "X-Token: abc", "--header", "Host: app.example.com", withUser);
        assertEquals(null, h.check().problem());
        var seen = requestHeaders.get(requestHeaders.size() - 1);
        assertEquals("abc", seen.getFirst("X-Token"));
        assertEquals("app.example.com", seen.getFirst("Host"), "Host: is honoured");
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)),
                seen.getFirst("Authorization"));
        assertEquals(url(), h.shown, "logs and mails show the URL without its user info");
        status = 500;
        assertTrue(h.subject(h.check()).equals("httpok: " + url() + ": bad status returned") && !h.check().line().contains("s3cret"));

        java.nio.file.Path file = java.nio.file.Files.createTempFile("auth", ".txt");
        try {
            java.nio.file.Files.writeString(file, "bob:from-file\n");
            status = 200;
            httpok(withUser, "--auth-file", file.toString()).check();
            assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("bob:from-file".getBytes(StandardCharsets.UTF_8)),
                    requestHeaders.get(requestHeaders.size() - 1).getFirst("Authorization"), "the file wins over the URL");
        } finally {
            java.nio.file.Files.delete(file);
        }
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "--header", "no colon", "http://a/"));
    }

    @Test
    void aTcpCheckConnectsAndTakesNoHttpOptions() throws Exception {
        int open = web.getAddress().getPort();
        assertEquals(null, httpok("tcp://127.0.0.1:" + open).check().problem());
        int closed = Repo.freePort();
        httpok.Check down = httpok("-t", "1", "tcp://127.0.0.1:" + closed).check();
        assertEquals("bad status returned", down.problem());
        assertTrue(down.line().startsWith("error contacting tcp://127.0.0.1:" + closed + ": "), down.line());
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "-c", "204", "tcp://127.0.0.1:5432"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "-b", "ok", "tcp://127.0.0.1:5432"));
        assertEquals(2, AlertsTest.exitStatus(new httpok(), "tcp://127.0.0.1"), "no port");
    }

    @Test
    void startStoppedStartsWhatCrashedOrNeverCameUpButNotWhatAPersonStopped() throws Exception {
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 200, 0, 0), FakeSupervisor.process("api", "api", 100, 0, 0),
                FakeSupervisor.process("admin", "admin", 0, 0, 0));
        status = 500;
        httpok h = httpok("-a", "--start-stopped", "-m", "ops@example.com", url());
        h.onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []", "supervisor.startProcess [web:web, false]",
                "supervisor.startProcess [api:api, false]"), rpc.calls);
        String body = sent(h).get(0).body();
        assertTrue(body.contains("web:web is in FATAL state, starting it (--start-stopped)\nweb:web started\n"), body);
        assertTrue(body.contains("admin:admin not in RUNNING state, NOT restarting"), body);
        rpc.calls.clear();
        httpok("-a", url()).onEvent(AlertsTest.tick());
        assertEquals(List.of("supervisor.getAllProcessInfo []"), rpc.calls, "without the option: as before");
    }

    @Test
    void afterMaxRestartsItGivesUpOnceStopsMailingAndARecoveryIsSaid() throws Exception {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong(1_800_000_000_000L);
        rpc.processes = List.of(FakeSupervisor.process("web", "web", 20, 101, 50));
        httpok h = httpok("-p", "web", "-m", "ops@example.com", "--max-restarts", "1", "--within", "1h", "--recovery", url());
        h.history = new lib.History(clock::get);
        status = 500;
        for (int tick = 0; tick < 4; tick++) {
            h.onEvent(AlertsTest.tick());
            clock.addAndGet(50_000);
        }
        assertEquals(1, rpc.calls.stream().filter(c -> c.startsWith("supervisor.stopProcess")).count(), rpc.calls.toString());
        status = 200;
        h.onEvent(AlertsTest.tick());
        List<String> subjects = sent(h).stream().map(Mail::subject).toList();
        assertEquals(List.of("httpok: " + url() + ": bad status returned", "httpok: giving up on web:web: restarted 1 time within 1h",
                "httpok: " + url() + ": healthy again"), subjects, "no mail for the checks failed after giving up");
        assertTrue(mails.get(2).body().startsWith("healthy again after 4 failed checks (down 3m20s)\nstatus contacting "), mails.get(2).body());
        h.onEvent(AlertsTest.tick());
        assertEquals(3, sent(h).size(), "said once");
    }

    @Test
    void withoutAProcessToRestartEveryFailedCheckIsStillMailed() throws Exception {
        httpok h = httpok("-m", "ops@example.com", "--max-restarts", "1", url()); // nothing selected: the limit holds nothing back
        status = 500;
        for (int i = 0; i < 3; i++) h.onEvent(AlertsTest.tick());
        assertEquals(3, sent(h).size(), "as superlance: a mail per failed check");
    }

    @Test
    void withoutRecoveryNoMailSaysHealthyAgain() throws Exception {
        httpok h = httpok("-m", "ops@example.com", url());
        status = 500;
        h.onEvent(AlertsTest.tick());
        status = 200;
        h.onEvent(AlertsTest.tick());
        assertEquals(List.of("httpok: " + url() + ": bad status returned"), sent(h).stream().map(Mail::subject).toList());
    }
}
