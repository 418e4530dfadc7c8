import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import lib.ProcessInfo;
import lib.Supervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The RPC client against a real supervisord, over unix:// and over http:// with auth. */
class SupervisorRpcTest {
    private static Supervisord supervisord;

    @BeforeAll
    static void start() throws Exception {
        supervisord = Supervisord.start("""
                [program:sleeper]
                command=sleep 1000
                startsecs=1

                [program:worker]
                command=sleep 1000
                numprocs=2
                process_name=%(program_name)s_%(process_num)02d
                startsecs=1
                """);
        supervisord.awaitAllRunning(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() throws Exception {
        if (supervisord != null) supervisord.close();
    }

    private static ProcessInfo find(List<ProcessInfo> all, String namespec) {
        return all.stream().filter(p -> p.namespec().equals(namespec)).findFirst()
                .orElseThrow(() -> new AssertionError(namespec + " not in " + all));
    }

    @Test
    void listsProcessesOverTheUnixSocket() throws Exception {
        List<ProcessInfo> all = supervisord.unix().getAllProcessInfo();
        assertEquals(3, all.size(), all.toString());
        ProcessInfo sleeper = find(all, "sleeper:sleeper");
        assertEquals(ProcessInfo.RUNNING, sleeper.state());
        assertEquals("RUNNING", sleeper.statename());
        assertTrue(sleeper.pid() > 0);
        assertTrue(ProcessHandle.of(sleeper.pid()).isPresent(), "the pid is a live process");
        assertTrue(sleeper.uptime() >= 0 && sleeper.uptime() < 120, "uptime " + sleeper.uptime());
        assertEquals("worker", find(all, "worker:worker_01").group());
    }

    @Test
    void stopsAndStartsAProgramOverHttpWithAuth() throws Exception {
        Supervisor http = supervisord.http();
        int before = http.getProcessInfo("sleeper").pid();
        assertTrue(http.stopProcess("sleeper:sleeper", true));
        ProcessInfo stopped = http.getProcessInfo("sleeper:sleeper");
        assertEquals(ProcessInfo.STOPPED, stopped.state());
        assertEquals(0, stopped.pid());
        assertTrue(ProcessHandle.of(before).map(h -> !h.isAlive()).orElse(true), "old process gone");
        assertTrue(http.startProcess("sleeper:sleeper", true));
        ProcessInfo started = http.getProcessInfo("sleeper:sleeper");
        assertEquals(ProcessInfo.RUNNING, started.state());
        assertNotEquals(before, started.pid());
    }

    @Test
    void signalsAProcess() throws Exception {
        Supervisor unix = supervisord.unix();
        int pid = unix.getProcessInfo("worker:worker_00").pid();
        assertTrue(unix.signalProcess("worker:worker_00", "STOP"));
        assertTrue(unix.signalProcess("worker:worker_00", "CONT"));
        assertEquals(pid, unix.getProcessInfo("worker:worker_00").pid());
        Supervisor.Fault fault = assertThrows(Supervisor.Fault.class, () -> unix.signalProcess("worker:worker_00", "NOSUCHSIG"));
        assertEquals("BAD_SIGNAL", fault.name);
    }

    @Test
    void faultsCarryCodeAndName() {
        for (Supervisor rpc : List.of(supervisord.unix(), supervisord.http())) {
            Supervisor.Fault fault = assertThrows(Supervisor.Fault.class, () -> rpc.getProcessInfo("nosuch"));
            assertEquals(Supervisor.BAD_NAME, fault.code);
            assertEquals("BAD_NAME", fault.name);
            assertEquals("BAD_NAME: nosuch", fault.getMessage(), "the name once, as supervisord says it");
        }
        Supervisor.Fault unknown = assertThrows(Supervisor.Fault.class,
                () -> supervisord.unix().call(Duration.ofSeconds(5), "supervisor.noSuchMethod"));
        assertEquals("UNKNOWN_METHOD", unknown.name);
        assertTrue(unknown.getMessage().contains("[rpcinterface:supervisor]"), unknown.getMessage());
        Supervisor.Fault notRunning = assertThrows(Supervisor.Fault.class, () -> {
            Supervisor unix = supervisord.unix();
            unix.stopProcess("worker:worker_01", true);
            try {
                unix.stopProcess("worker:worker_01", true);
            } finally {
                unix.startProcess("worker:worker_01", true);
            }
        });
        assertEquals("NOT_RUNNING", notRunning.name);
        assertEquals("NOT_RUNNING: worker:worker_01", notRunning.getMessage());
    }

    @Test
    void wrongOrMissingCredentialsGiveAClearMessage() {
        for (Supervisor rpc : List.of(new Supervisor("http://127.0.0.1:" + supervisord.port, "u", "wrong"),
                new Supervisor("http://127.0.0.1:" + supervisord.port, null, null))) {
            IOException e = assertThrows(IOException.class, rpc::getAllProcessInfo);
            assertTrue(e.getMessage().contains("401") && e.getMessage().contains("SUPERVISOR_USERNAME")
                    && e.getMessage().contains("SUPERVISOR_PASSWORD") && e.getMessage().contains("environment="), e.getMessage());
            assertTrue(!e.getMessage().contains("wrong"), "the password is never repeated");
        }
    }

    @Test
    void environmentDecidesTheServerAndItsAbsenceIsExplained() throws Exception {
        Supervisor fromEnv = Supervisor.fromEnvironment(Map.of("SUPERVISOR_SERVER_URL", "http://127.0.0.1:" + supervisord.port,
                "SUPERVISOR_USERNAME", Supervisord.USER, "SUPERVISOR_PASSWORD", Supervisord.PASSWORD));
        assertEquals(3, fromEnv.getAllProcessInfo().size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Supervisor.fromEnvironment(Map.of()));
        assertTrue(e.getMessage().contains("must run as a supervisor event listener"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Supervisor("ftp://x", null, null));
    }

    @Test
    void unreachableOrSilentServersFailWithinTheTimeout() throws Exception {
        Path dir = Files.createTempDirectory("rpc");
        try (ServerSocketChannel silent = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            Path socket = dir.resolve("silent.sock");
            silent.bind(UnixDomainSocketAddress.of(socket));
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> new Supervisor("unix://" + socket, null, null, Duration.ofSeconds(1), Duration.ofSeconds(1)).getAllProcessInfo());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("did not answer within 1 s"), e.getMessage());
            assertTrue(ms < 10_000, "gave up after " + ms + " ms");
            IOException gone = assertThrows(IOException.class,
                    () -> new Supervisor("unix://" + dir.resolve("none.sock"), null, null).getAllProcessInfo());
            assertTrue(gone.getMessage().contains("cannot connect to supervisord"), gone.getMessage());
            IOException refused = assertThrows(IOException.class,
                    () -> new Supervisor("http://127.0.0.1:" + Repo.freePort(), null, null).getAllProcessInfo());
            assertTrue(refused.getMessage().contains("cannot connect to supervisord"), refused.getMessage());
        } finally {
            Repo.deleteTree(dir);
        }
    }
}
