import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * httpok run by a real supervisord through ./jbang, checking small HTTP
 * servers that supervisord runs (python3's stdlib) and whose answer the
 * test switches with a file: "200 text", "500", "204" or "hang". HTTPS is
 * checked against a server in this JVM with the test's self-signed certificate.
 */
class HttpokE2ETest {
    private Path dir;
    private GreenMail mail;
    private int smtpPort;

    @BeforeAll
    static void build() throws Exception {
        Repo.build("httpok.java");
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("httpok");
        Files.writeString(dir.resolve("web.py"), """
                import http.server, sys, time
                port, mode_file = int(sys.argv[1]), sys.argv[2]
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        mode = open(mode_file).read().strip()
                        if mode == 'hang':
                            time.sleep(3600)
                        status, _, text = mode.partition(' ')
                        data = text.encode()
                        self.send_response(int(status))
                        self.send_header('Content-Length', str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
                """);
        smtpPort = Repo.freePort();
        mail = Mails.smtp(smtpPort);
    }

    @AfterEach
    void tearDown() throws IOException {
        mail.stop();
        Repo.deleteTree(dir);
    }

    private void mode(String web, String mode) throws IOException {
        Files.writeString(dir.resolve(web + ".mode"), mode);
    }

    /** A web server program answering as its mode file says; returns its URL. */
    private String web(StringBuilder sections, String name, String mode) throws IOException {
        int port = Repo.freePort();
        mode(name, mode);
        sections.append("[program:").append(name).append("]\ncommand=/usr/bin/python3 ").append(dir.resolve("web.py")).append(' ')
                .append(port).append(' ').append(dir.resolve(name + ".mode"))
                .append("\nstartsecs=1\nstopasgroup=true\nkillasgroup=true\n\n");
        return "http://127.0.0.1:" + port + "/health";
    }

    private String httpok(String name, String args) {
        return "[eventlistener:" + name + "]\ncommand=" + Repo.launcher() + " " + Repo.ROOT.resolve("httpok.java") + " " + args
                + "\nevents=TICK_5\nstderr_logfile=%(dir)s/" + name + ".err\nstopasgroup=true\nkillasgroup=true\n\n";
    }

    private String smtp() { return " --smtp-host 127.0.0.1:" + smtpPort + " --from httpok@example.com"; }

    private static Map<String, Integer> pids(Supervisord s) throws IOException {
        Map<String, Integer> pids = new HashMap<>();
        for (var p : s.unix().getAllProcessInfo()) pids.put(p.namespec(), p.pid());
        return pids;
    }

    private static void awaitChecks(Supervisord s, String listener, int checks) throws InterruptedException {
        Repo.await(listener + " to check " + checks + " times", Duration.ofSeconds(60),
                () -> Repo.count(s.read(listener + ".err"), "TICK_5: (status|error) contacting") >= checks);
    }

    private static void awaitRestart(Supervisord s, String namespec, int oldPid) throws InterruptedException {
        try {
            Repo.await(namespec + " restarted", Duration.ofSeconds(60), () -> {
                try {
                    int pid = s.unix().getProcessInfo(namespec).pid();
                    return pid > 0 && pid != oldPid;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (AssertionError e) { // say what the listeners and supervisord did meanwhile
            StringBuilder logs = new StringBuilder(e.getMessage());
            try (var files = Files.list(s.dir)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".err") || f.endsWith("supervisord.log")).sorted().toList()) {
                    String text = s.read(f.getFileName().toString());
                    logs.append("\n--- ").append(f.getFileName()).append(":\n").append(text.substring(Math.max(0, text.length() - 2500)));
                }
            } catch (IOException ignored) {
                // the message alone, then
            }
            throw new AssertionError(logs.toString());
        }
    }

    /** The first mail to this address, once it has come. */
    private MimeMessage mailTo(String address) throws InterruptedException {
        Repo.await("a mail to " + address, Duration.ofSeconds(30), () -> !Mails.to(mail, address).isEmpty());
        return Mails.to(mail, address).get(0);
    }

    @Test
    void restartsWhenTheCheckFailsAndLeavesHealthyServicesAlone() throws Exception {
        StringBuilder sections = new StringBuilder();
        String status = web(sections, "web1", "200 ok");
        String hang = web(sections, "web2", "200 ok");
        String codes = web(sections, "web3", "204");
        String body = web(sections, "web4", "200 all healthy");
        String grouped = web(sections, "web5", "200 ok");
        sections.append("[group:grp]\nprograms=web5\n\n")
                .append(httpok("hk_status", "-p web1 -m status@example.com" + smtp() + " " + status))
                .append(httpok("hk_hang", "-t 2 -p web2 " + hang))
                .append(httpok("hk_codes", "-c 200 -c 204 -p web3 " + codes))
                .append(httpok("hk_body", "-b healthy -p web4 -n prod -m body@example.com" + smtp() + " " + body))
                .append(httpok("hk_group", "-p grp:web5 " + grouped));
        try (Supervisord s = Supervisord.start(sections.toString())) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            for (String listener : List.of("hk_status", "hk_hang", "hk_codes", "hk_body", "hk_group")) awaitChecks(s, listener, 2);
            Map<String, Integer> healthy = pids(s);
            awaitChecks(s, "hk_status", 4);
            assertEquals(healthy, pids(s), "two more checks of healthy services: nothing restarted");

            mode("web1", "500 broken");
            mode("web2", "hang");
            mode("web4", "200 sick");
            mode("web5", "500");
            awaitRestart(s, "web1:web1", healthy.get("web1:web1"));
            mode("web1", "200 ok");
            awaitRestart(s, "web2:web2", healthy.get("web2:web2"));
            mode("web2", "200 ok");
            awaitRestart(s, "web4:web4", healthy.get("web4:web4"));
            mode("web4", "200 all healthy");
            awaitRestart(s, "grp:web5", healthy.get("grp:web5"));
            mode("web5", "200 ok");
            assertEquals(healthy.get("web3:web3"), pids(s).get("web3:web3"), "-c 200 -c 204 accepts 204");
            assertTrue(s.read("hk_hang.err").contains("error contacting " + hang + ": timed out after 2 s"), s.read("hk_hang.err"));

            MimeMessage bad = mailTo("status@example.com");
            assertEquals("httpok: " + status + ": bad status returned", bad.getSubject());
            String text = ((String) bad.getContent()).replace("\r\n", "\n");
            assertTrue(text.startsWith("status contacting " + status + ": 500\nweb1:web1 is in RUNNING state, restarting\nweb1:web1 restarted"), text);
            assertEquals("httpok [prod]: " + body + ": bad body returned", mailTo("body@example.com").getSubject());
            assertTrue(!s.log().contains("UNKNOWN state"), s.log());
        }
    }

    @Test
    void httpsIsVerifiedUnlessTheUserTrustsACaOrOptsOut() throws Exception {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(TestTls.serverContext()));
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        String url = "https://127.0.0.1:" + server.getAddress().getPort() + "/";
        String sleepers = "";
        for (String name : List.of("s1", "s2", "s3")) {
            sleepers += "[program:" + name + "]\ncommand=sleep 1000\nstartsecs=0\nstopasgroup=true\nkillasgroup=true\n\n";
        }
        String sections = sleepers
                + httpok("tls_default", "-p s1 -m tls@example.com" + smtp() + " " + url)
                + httpok("tls_ca", "--ca " + TestTls.caPem() + " -p s2 " + url)
                + httpok("tls_insecure", "--insecure -p s3 " + url);
        try (Supervisord s = Supervisord.start(sections)) {
            s.awaitAllRunning(Duration.ofSeconds(60));
            Map<String, Integer> first = pids(s);
            awaitRestart(s, "s1:s1", first.get("s1:s1"));
            String report = ((String) mailTo("tls@example.com").getContent()).replace("\r\n", "\n");
            assertTrue(report.startsWith("error contacting " + url + ": ") && report.contains("certification path"), report);
            for (String listener : List.of("tls_ca", "tls_insecure")) awaitChecks(s, listener, 2);
            assertEquals(first.get("s2:s2"), pids(s).get("s2:s2"), "the given CA verifies the server");
            assertEquals(first.get("s3:s3"), pids(s).get("s3:s3"), "--insecure skips verification");
            assertTrue(s.read("tls_insecure.err").contains("--insecure: the HTTPS certificate and host name"), s.read("tls_insecure.err"));
            assertTrue(s.read("tls_ca.err").contains("status contacting " + url + ": 200"), s.read("tls_ca.err"));
        } finally {
            server.stop(0);
        }
    }
}
