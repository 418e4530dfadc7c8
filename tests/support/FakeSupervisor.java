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
    volatile List<Map<String, Object>> processes = List.of();
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
        server.start();
    }

    private String answer(XmlRpc.Call call) {
        if (!call.method().equals("supervisor.getPID")) calls.add(call.method() + " " + call.params());
        if (faults.containsKey(call.method())) return XmlRpc.fault(faults.get(call.method()), "refused by the fake");
        return switch (call.method()) {
            case "supervisor.getAllProcessInfo" -> XmlRpc.response(processes);
            case "supervisor.getProcessInfo" -> XmlRpc.response(processes.stream()
                    .filter(p -> Selection.namespec((String) p.get("group"), (String) p.get("name")).equals(call.params().get(0)))
                    .findFirst().orElseThrow());
            case "supervisor.getPID" -> XmlRpc.response((int) ProcessHandle.current().pid()); // this JVM plays supervisord
            default -> XmlRpc.response(true);
        };
    }

    /** One entry of getAllProcessInfo. */
    static Map<String, Object> process(String group, String name, int state, int pid, long uptime) {
        long now = System.currentTimeMillis() / 1000;
        return Map.of("name", name, "group", group, "state", state, "statename", state == 20 ? "RUNNING" : "STOPPED",
                "pid", pid, "start", (int) (now - uptime), "now", (int) now);
    }

    int port() { return server.getAddress().getPort(); }

    Supervisor client() { return new Supervisor("http://127.0.0.1:" + server.getAddress().getPort(), null, null); }

    @Override
    public void close() { server.stop(0); }
}
