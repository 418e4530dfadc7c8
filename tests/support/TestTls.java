import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A self-signed certificate for 127.0.0.1 (made once per run with keytool),
 * GreenMail's SMTPS configured with it, and a STARTTLS front for GreenMail,
 * which speaks SMTP without STARTTLS: the front answers EHLO with STARTTLS,
 * upgrades the connection and then relays it to GreenMail's plain port.
 */
final class TestTls {
    static final String PASSWORD = "changeit";
    private static Path dir;

    private TestTls() {}

    static synchronized Path keystore() throws IOException, InterruptedException {
        if (dir == null) {
            dir = Files.createTempDirectory("tls");
            dir.toFile().deleteOnExit();
            Path store = dir.resolve("server.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            check(Repo.run(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "3",
                    "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)));
            check(Repo.run(List.of(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", store.toString(),
                    "-storepass", PASSWORD, "-file", dir.resolve("ca.pem").toString())));
            // GreenMail reads these once, when it first opens an SSL server socket.
            System.setProperty("greenmail.tls.keystore.file", store.toString());
            System.setProperty("greenmail.tls.keystore.password", PASSWORD);
            System.setProperty("greenmail.tls.key.password", PASSWORD);
        }
        return dir.resolve("server.p12");
    }

    /** The PEM certificate that verifies the test servers. */
    static Path caPem() throws IOException, InterruptedException {
        keystore();
        return dir.resolve("ca.pem");
    }

    private static void check(Repo.Result r) {
        if (r.status() != 0) throw new IllegalStateException("keytool failed: " + r.err());
    }

    static SSLContext serverContext() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore())) {
            store.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    /** Listens on 127.0.0.1:random, offers STARTTLS, then relays to GreenMail on backendPort. */
    static final class StartTlsFront implements AutoCloseable {
        private final ServerSocket server;
        private final SSLContext context;
        private final int backendPort;

        StartTlsFront(int backendPort) throws Exception {
            this.context = serverContext();
            this.backendPort = backendPort;
            this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::acceptLoop, "starttls-front");
            accept.setDaemon(true);
            accept.start();
        }

        int port() { return server.getLocalPort(); }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Thread t = new Thread(() -> serve(client), "starttls-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket client) {
            try (client) {
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                Sockets.write(out, "220 front ESMTP\r\n");
                while (true) {
                    String line = Sockets.readLine(in);
                    if (line == null) return;
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                    if (verb.equals("EHLO")) {
                        Sockets.write(out, "250-front\r\n250 STARTTLS\r\n");
                    } else if (verb.equals("STAR")) {
                        Sockets.write(out, "220 go ahead\r\n");
                        break;
                    } else if (verb.equals("QUIT")) {
                        Sockets.write(out, "221 bye\r\n");
                        return;
                    } else {
                        Sockets.write(out, "530 must issue STARTTLS first\r\n");
                    }
                }
                SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(client, "127.0.0.1", client.getPort(), false);
                tls.setUseClientMode(false);
                tls.startHandshake();
                try (Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort)) {
                    InputStream backIn = backend.getInputStream();
                    Sockets.readLine(backIn); // GreenMail's greeting: the client already had ours
                    Thread up = new Thread(() -> Sockets.pump(tls, backend), "starttls-up");
                    up.setDaemon(true);
                    up.start();
                    Sockets.pump(backend, tls);
                }
            } catch (IOException e) {
                // the client went away or the handshake failed: that is what some tests want
            }
        }

        @Override
        public void close() throws IOException { server.close(); }
    }

    /**
     * A TLS server on 127.0.0.1:random with the test certificate that only
     * shakes hands: for clients that must refuse it, as the JDK's CAs do not
     * vouch for it. `handshakes` counts the ones a client accepted.
     */
    static final class HandshakeOnly implements AutoCloseable {
        final java.util.concurrent.atomic.AtomicInteger handshakes = new java.util.concurrent.atomic.AtomicInteger();
        private final ServerSocket server;

        HandshakeOnly() throws Exception {
            server = serverContext().getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket client = server.accept()) {
                        ((SSLSocket) client).startHandshake();
                        handshakes.incrementAndGet();
                    } catch (IOException e) {
                        // the client refused the certificate, or the server is closed
                    }
                }
            }, "tls-handshake-only");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() { return server.getLocalPort(); }

        @Override
        public void close() throws IOException { server.close(); }
    }
}
