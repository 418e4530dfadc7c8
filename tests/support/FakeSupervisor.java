import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lib.Selection;
import lib.Supervisor;
import lib.XmlRpc;

/**
 * supervisord's XML-RPC API played by this JVM, for unit tests of what a
 * plugin decides (the real supervisord is in the *E2ETest classes). It
 * answers from `processes`, records every call but getPID, and answers a
 * fault for the methods in `faults`.
 */
final class FakeSupervisor implements AutoCloseable {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Integer> faults = new HashMap<>(); // method -> fault code to answer
    final Map<String, Object> answers = new java.util.concurrent.ConcurrentHashMap<>(); // method -> a value to answer instead
    volatile List<Map<String, Object>> processes = List.of();
    volatile long stopMillis; // how long stopProcess takes; meanwhile the process is STOPPING, then STOPPED until started
    private final java.util.Set<String> stopping = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> stopped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
    private final HttpServer server;

    FakeSupervisor() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/RPC2", exchange -> {
            XmlRpc.Call call = XmlRpc.parseCall(exchange.getRequestBody().readAllBytes());
            byte[] body = answer(call).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(threads); // calls answered side by side, as supervisord does: a poll while a stop waits
        server.start();
    }

    private String answer(XmlRpc.Call call) {
        if (!call.method().equals("supervisor.getPID")) calls.add(call.method() + " " + call.params());
        if (faults.containsKey(call.method())) return XmlRpc.fault(faults.get(call.method()), "refused by the fake");
        if (answers.containsKey(call.method())) return XmlRpc.response(answers.get(call.method()));
        String namespec = call.params().isEmpty() ? "" : String.valueOf(call.params().get(0));
        return switch (call.method()) {
            case "supervisor.getAllProcessInfo" -> XmlRpc.response(processes);
            case "supervisor.getProcessInfo" -> {
                Map<String, Object> p = new HashMap<>(processes.stream()
                        .filter(q -> Selection.namespec((String) q.get("group"), (String) q.get("name")).equals(namespec))
                        .findFirst().orElseThrow());
                if (stopping.contains(namespec)) p.put("state", 40);
                else if (stopped.contains(namespec)) p.put("state", 0);
                yield XmlRpc.response(p);
            }
            case "supervisor.stopProcess" -> {
                stopping.add(namespec);
                try {
                    Thread.sleep(stopMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                stopping.remove(namespec);
                stopped.add(namespec);
                yield XmlRpc.response(true);
            }
            case "supervisor.startProcess" -> {
                stopped.remove(namespec);
                yield XmlRpc.response(true);
            }
            case "supervisor.getPID" -> XmlRpc.response((int) ProcessHandle.current().pid()); // this JVM plays supervisord
            default -> XmlRpc.response(true);
        };
    }

    /** One entry of getAllProcessInfo. */
    static Map<String, Object> process(String group, String name, int state, int pid, long uptime) {
        long now = System.currentTimeMillis() / 1000;
        String statename = switch (state) {
            case 10 -> "STARTING";
            case 20 -> "RUNNING";
            case 30 -> "BACKOFF";
            case 100 -> "EXITED";
            case 200 -> "FATAL";
            default -> "STOPPED";
        };
        return Map.of("name", name, "group", group, "state", state, "statename", statename,
                "pid", pid, "start", (int) (now - uptime), "now", (int) now);
    }

    int port() { return server.getAddress().getPort(); }

    Supervisor client() { return new Supervisor("http://127.0.0.1:" + server.getAddress().getPort(), null, null); }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
