import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Channels through a real HTTP proxy (Debian's tinyproxy, started here on
 * 127.0.0.1 with its own config, stopped by pid): https_proxy as curl reads
 * it, --alert-proxy, proxy credentials (never logged), no_proxy, and HTTPS
 * through a CONNECT tunnel to a server whose certificate (the test's own
 * CA) is verified end to end. The plugins run as a user runs them, with
 * --test-alert, which posts at once and says what happened.
 */
class ProxyE2ETest {
    private Path dir;
    private Process tinyproxy;
    private int proxyPort;
    private HttpsServer https;
    private HttpServer http;
    private final List<String> received = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void build() throws Exception {
        Repo.build("crashmail.java");
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("proxy");
        https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(TestTls.serverContext()));
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (var server : List.of(https, http)) {
            server.createContext("/", exchange -> {
                received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(200, 2);
                exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
                exchange.close();
            });
            server.start();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        stopProxy();
        https.stop(0);
        http.stop(0);
        Repo.deleteTree(dir);
    }

    /** tinyproxy on 127.0.0.1, in the foreground, with Basic auth when credentials are given. */
    private void startProxy(String credentials) throws Exception {
        proxyPort = Repo.freePort();
        Files.writeString(dir.resolve("tinyproxy.conf"), "Port " + proxyPort + "\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\n"
                + "LogFile \"" + dir.resolve("tinyproxy.log") + "\"\nLogLevel Connect\nAllow 127.0.0.1\n"
                + (credentials == null ? "" : "BasicAuth " + credentials.replace(":", " ") + "\n"));
        tinyproxy = new ProcessBuilder("tinyproxy", "-d", "-c", dir.resolve("tinyproxy.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("tinyproxy.out").toFile()).start();
        Repo.await("tinyproxy to listen", Duration.ofSeconds(20), () -> {
            try (var s = new java.net.Socket("127.0.0.1", proxyPort)) {
                return true;
            } catch (java.io.IOException e) {
                if (!tinyproxy.isAlive()) throw new AssertionError("tinyproxy exited: " + read("tinyproxy.out"));
                return false;
            }
        });
    }

    private void stopProxy() throws Exception {
        if (tinyproxy == null) return;
        tinyproxy.destroy();
        if (!tinyproxy.waitFor(10, TimeUnit.SECONDS)) tinyproxy.destroyForcibly().waitFor();
        tinyproxy = null;
    }

    private String read(String name) {
        try {
            return Files.exists(dir.resolve(name)) ? Files.readString(dir.resolve(name)) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private String httpsUrl() { return "https://127.0.0.1:" + https.getAddress().getPort() + "/services/T0/B0/SECRET"; }

    private String httpUrl() { return "http://127.0.0.1:" + http.getAddress().getPort() + "/hook"; }

    /** crashmail --test-alert with these options and this environment (no proxy variables but those given). */
    private Repo.Result testAlert(Map<String, String> proxyEnv, String args) throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")) env.put(name, null);
        env.putAll(proxyEnv);
        List<String> argv = new ArrayList<>(List.of(Repo.launcher(), "crashmail.java", "--test-alert", "-a"));
        argv.addAll(lib.Argv.split(args));
        return Repo.run(argv, env, new byte[0], Duration.ofMinutes(2));
    }

    private int connects() { return Repo.count(read("tinyproxy.log"), "CONNECT"); }

    @Test
    void httpsProxyFromTheEnvironmentTunnelsToAVerifiedServerAndNoProxyGoesStraight() throws Exception {
        startProxy(null);
        String slack = " --slack " + httpsUrl() + " --alert-ca " + TestTls.caPem();
        Repo.Result r = testAlert(Map.of("https_proxy", "http://127.0.0.1:" + proxyPort), slack);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("through proxy http://127.0.0.1:" + proxyPort + " from $https_proxy"), "the start-up line: " + r.err());
        assertEquals(1, received.size());
        assertTrue(received.get(0).startsWith("POST /services/T0/B0/SECRET {\"text\":\"*crashmail [test]"), received.get(0));
        Repo.await("tinyproxy's log", Duration.ofSeconds(5), () -> connects() >= 1);

        // Without --alert-ca the tunnel is made, and the test CA's certificate refused: verified end to end, not by the proxy.
        Repo.Result untrusted = testAlert(Map.of("HTTPS_PROXY", "http://127.0.0.1:" + proxyPort), " --slack " + httpsUrl());
        assertEquals(1, untrusted.status(), untrusted.err());
        assertTrue(untrusted.err().matches("(?s).*failed: .*(PKIX|certification path).*"), untrusted.err());
        assertEquals(1, received.size());

        // no_proxy as curl: a suffix, an address or a CIDR of loopback sends straight.
        int before = connects();
        for (String noProxy : List.of("127.0.0.0/8", "example.com,127.0.0.1", "*")) {
            Repo.Result direct = testAlert(Map.of("https_proxy", "http://127.0.0.1:" + proxyPort, "no_proxy", noProxy), slack);
            assertEquals(0, direct.status(), direct.err());
            assertTrue(direct.err().contains("slack https://127.0.0.1:" + https.getAddress().getPort() + "/services…, direct"), direct.err());
        }
        assertEquals(4, received.size());
        Thread.sleep(500);
        assertEquals(before, connects(), "no_proxy: not through tinyproxy");

        // --alert-proxy none overrides the environment; --alert-proxy URL is used without it.
        assertEquals(0, testAlert(Map.of("https_proxy", "http://127.0.0.1:1"), slack + " --alert-proxy none").status());
        Repo.Result given = testAlert(Map.of(), slack + " --alert-proxy http://127.0.0.1:" + proxyPort);
        assertEquals(0, given.status(), given.err());
        assertTrue(given.err().contains("from --alert-proxy"), given.err());
        Repo.await("the tunnel", Duration.ofSeconds(5), () -> connects() > before);
    }

    @Test
    void proxyCredentialsAreSentAndNeverLogged() throws Exception {
        startProxy("alerts:s3cret-pw");
        String proxy = "http://alerts:s3cret-pw@127.0.0.1:" + proxyPort;
        Repo.Result tunnel = testAlert(Map.of(), "--slack " + httpsUrl() + " --alert-ca " + TestTls.caPem() + " --alert-proxy " + proxy);
        assertEquals(0, tunnel.status(), tunnel.err());
        Repo.Result plain = testAlert(Map.of("http_proxy", proxy), "--webhook " + httpUrl());
        assertEquals(0, plain.status(), plain.err());
        assertEquals(2, received.size(), received.toString());
        for (Repo.Result r : List.of(tunnel, plain)) {
            assertTrue(!r.err().contains("s3cret-pw"), "the proxy's password is never logged: " + r.err());
            assertTrue(r.err().contains("proxy http://127.0.0.1:" + proxyPort + " (with credentials)"), r.err());
        }
        Repo.Result wrong = testAlert(Map.of(), "--webhook " + httpUrl() + " --alert-proxy http://alerts:wrong@127.0.0.1:" + proxyPort);
        assertEquals(1, wrong.status(), wrong.err());
        assertTrue(wrong.err().matches("(?s).*answered HTTP 40[17].*"), "refused by the proxy (tinyproxy answers 401): " + wrong.err());
        assertEquals(2, received.size());
    }

    @Test
    void httpokChecksThroughAProxyOnlyWhenAsked() throws Exception {
        startProxy(null);
        assertEquals(2, Repo.run(List.of(Repo.launcher(), "httpok.java", "--proxy", "ftp://x", httpUrl())).status());
        // Its check, run as a unit: through the proxy with --proxy env, direct without (https_proxy set either way).
        Map<String, String> env = Map.of("http_proxy", "http://127.0.0.1:" + proxyPort);
        httpok viaProxy = new httpok();
        new picocli.CommandLine(viaProxy).parseArgs("--proxy", "env", httpUrl());
        viaProxy.configure(env);
        assertEquals(null, viaProxy.check().problem(), viaProxy.check().line());
        Repo.await("tinyproxy's log of the GET", Duration.ofSeconds(5), () -> read("tinyproxy.log").contains("GET"));
        int proxied = Repo.count(read("tinyproxy.log"), "Request \\(file descriptor");
        httpok direct = new httpok();
        new picocli.CommandLine(direct).parseArgs(httpUrl());
        direct.configure(env);
        assertEquals(null, direct.check().problem());
        Thread.sleep(300);
        assertEquals(proxied, Repo.count(read("tinyproxy.log"), "Request \\(file descriptor"), "a health check goes direct by default");
    }
}
