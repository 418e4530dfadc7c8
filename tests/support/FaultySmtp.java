import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An SMTP server on 127.0.0.1 that misbehaves on purpose, for the mail fault
 * tests. By default it speaks just enough SMTP itself, answering RCPT with
 * what `rcpt` says (a 4xx or 5xx to test refusals) and keeping each message
 * in `received`. `hang` makes it accept connections and never greet;
 * `refuse` greets with that reply (a 421) and hangs up.
 * `relayTo` makes it pass connections through, byte for byte, to a real
 * server (GreenMail): the fault is over.
 */
final class FaultySmtp implements AutoCloseable {
    volatile boolean hang;
    volatile String refuse; // a greeting such as "421 4.3.2 down", after which it hangs up: a server that is down
    volatile UnaryOperator<String> rcpt = address -> "250 2.1.5 ok";
    volatile int relayTo; // 0: no relay
    final List<String> received = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger connections = new AtomicInteger();
    private final ServerSocket server;
    private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

    /** Listens on this port (0: any free one). */
    FaultySmtp(int port) throws IOException {
        server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptForever, "faulty-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() { return server.getLocalPort(); }

    private void acceptForever() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                connections.incrementAndGet();
                Thread session = new Thread(() -> serve(client), "faulty-smtp-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            if (hang) {
                client.getInputStream().read(); // until the client gives up and closes
                return;
            }
            if (relayTo != 0) {
                relay(client, relayTo);
                return;
            }
            if (refuse != null) {
                Sockets.write(client.getOutputStream(), refuse + "\r\n");
                return;
            }
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            Sockets.write(out, "220 faulty ESMTP\r\n");
            StringBuilder data = null;
            for (String line = Sockets.readLine(in); line != null; line = Sockets.readLine(in)) {
                if (data != null) {
                    if (line.equals(".")) {
                        received.add(data.toString());
                        data = null;
                        Sockets.write(out, "250 2.0.0 queued\r\n");
                    } else {
                        data.append(line.startsWith("..") ? line.substring(1) : line).append('\n');
                    }
                    continue;
                }
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                switch (verb) {
                    case "EHLO", "HELO" -> Sockets.write(out, "250 faulty\r\n");
                    case "MAIL", "RSET", "NOOP" -> Sockets.write(out, "250 2.0.0 ok\r\n");
                    case "RCPT" -> Sockets.write(out, rcpt.apply(line.replaceAll("(?i)^RCPT TO:\\s*<?([^>]*)>?.*$", "$1")) + "\r\n");
                    case "DATA" -> {
                        Sockets.write(out, "354 go ahead\r\n");
                        data = new StringBuilder();
                    }
                    case "QUIT" -> {
                        Sockets.write(out, "221 2.0.0 bye\r\n");
                        return;
                    }
                    default -> Sockets.write(out, "502 5.5.2 not implemented\r\n");
                }
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            open.remove(client);
        }
    }

    private static void relay(Socket client, int port) throws IOException {
        try (Socket real = new Socket(InetAddress.getLoopbackAddress(), port)) {
            Thread back = new Thread(() -> Sockets.pump(real, client), "faulty-smtp-relay");
            back.setDaemon(true);
            back.start();
            Sockets.pump(client, real);
            try {
                back.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (open) {
            for (Socket socket : open) socket.close();
        }
    }
}
