package lib;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Authenticator;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * Outbound HTTP(S), the one way the plugins make a request (the channels'
 * posts, httpok's check): a proxy chosen as curl chooses it, or none; TLS
 * verified end to end (through a proxy, a CONNECT tunnel, the target's
 * certificate checked) unless the user opted out; one deadline for the whole
 * exchange, connecting and a body that drips in included; no redirects.
 * HttpURLConnection, not java.net.http, which would cost each listener some
 * 10 MiB.
 */
public final class Http {
    static {
        // Proxy credentials for a CONNECT tunnel go as Basic auth: the JDK refuses Basic for tunnels unless told
        // (read once, when its HTTP client first loads). They are only ever sent to the proxy the user named.
        System.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
        // A new connection for every request, as superlance's httpok made: a check proves that the service still
        // accepts one, and no connection is kept with its "Keep-Alive-Timer" thread waking every 5 s to expire it.
        System.setProperty("http.keepAlive", "false");
    }

    /** How one request is made: through which proxy (null: direct), trusting what, saying who. */
    public record Client(Proxy proxy, SSLSocketFactory sockets, boolean insecure, String userAgent) {}

    /** An HTTP proxy: its address, the credentials of its URL's user-info (or null), and where it was chosen from. */
    public record Proxy(String host, int port, String user, String password, String from) {
        /** As logs show it: never the credentials. */
        @Override
        public String toString() {
            return "proxy http://" + host + ":" + port + (user == null ? "" : " (with credentials)") + " from " + from;
        }
    }

    /** What came back: the status, and the body (at most the bytes asked for). */
    public record Response(int status, byte[] body) {
        public String text() { return new String(body, StandardCharsets.UTF_8); }
    }

    private static final ScheduledExecutorService WATCHDOG = Watchdog.start("http-watchdog");

    private Http() {}

    /**
     * The proxy for a request to target: `option` when given (a URL, or
     * "none": direct), else the environment as curl reads it: https_proxy
     * for https, http_proxy for http (either case, lower first), unless
     * no_proxy names the host (a suffix, an address or a CIDR, or *).
     */
    public static Proxy choose(URI target, String option, Map<String, String> env) {
        if (option != null) {
            if (option.equalsIgnoreCase("none")) return null;
            return parse(option, "--alert-proxy");
        }
        String scheme = target.getScheme().toLowerCase();
        String name = scheme + "_proxy";
        String value = first(env, name, name.toUpperCase());
        if (value == null || value.isBlank()) return null;
        if (bypass(target.getHost(), first(env, "no_proxy", "NO_PROXY"))) return null;
        return parse(value.strip(), "$" + (env.get(name) != null ? name : name.toUpperCase()));
    }

    private static String first(Map<String, String> env, String a, String b) {
        return env.get(a) != null ? env.get(a) : env.get(b);
    }

    /** http://[user:password@]host[:port], as curl takes it (a bare host:port too); its port defaults to 1080, curl's. */
    static Proxy parse(String url, String from) {
        URI uri;
        try {
            uri = new URI(url.contains("://") ? url : "http://" + url);
        } catch (Exception e) {
            throw new IllegalArgumentException(from + " is not a proxy URL: " + WebChannel.shorten(url));
        }
        if (uri.getHost() == null || !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException(from + " is not an http:// proxy URL: " + WebChannel.shorten(url));
        }
        String user = null, password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getUserInfo();
            int colon = info.indexOf(':');
            user = colon < 0 ? info : info.substring(0, colon);
            password = colon < 0 ? "" : info.substring(colon + 1);
        }
        return new Proxy(uri.getHost(), uri.getPort() < 0 ? 1080 : uri.getPort(), user, password, from);
    }

    /** no_proxy as curl reads it: comma-separated; "*" is every host; a name matches itself and its subdomains; CIDRs. */
    static boolean bypass(String host, String noProxy) {
        if (noProxy == null || host == null) return false;
        String h = host.toLowerCase().replaceAll("^\\[|\\]$", "");
        for (String raw : noProxy.split(",")) {
            String entry = raw.strip().toLowerCase();
            if (entry.isEmpty()) continue;
            if (entry.equals("*")) return true;
            if (entry.contains("/")) {
                if (inCidr(h, entry)) return true;
                continue;
            }
            entry = entry.replaceAll("^\\.", "").replaceAll("^\\[|\\]$", "");
            if (h.equals(entry) || h.endsWith("." + entry)) return true;
        }
        return false;
    }

    private static boolean inCidr(String host, String cidr) {
        try {
            if (!host.matches("[0-9.]+|[0-9a-f:]+")) return false; // a name: CIDRs are for addresses (no lookup)
            byte[] a = InetAddress.getByName(host).getAddress();
            byte[] net = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))).getAddress();
            int bits = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
            if (a.length != net.length || bits < 0 || bits > a.length * 8) return false;
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((a[i / 8] & mask) != (net[i / 8] & mask)) return false;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * One request: method, headers, an optional body, all of it within the
     * deadline (System.nanoTime). Reads at most maxBody bytes of the answer
     * (0: none). Throws SocketTimeoutException at the deadline, another
     * IOException when the exchange fails.
     */
    public static Response exchange(Client client, String method, URI uri, Map<String, String> headers, byte[] body,
                                    long deadline, int maxBody) throws IOException {
        Proxy proxy = client.proxy();
        java.net.Proxy via = proxy == null ? java.net.Proxy.NO_PROXY
                : new java.net.Proxy(java.net.Proxy.Type.HTTP, InetSocketAddress.createUnresolved(proxy.host(), proxy.port()));
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(via);
        if (c instanceof HttpsURLConnection https) {
            if (client.sockets() != null) https.setSSLSocketFactory(client.sockets());
            if (client.insecure()) https.setHostnameVerifier((h, session) -> true);
        }
        if (proxy != null && proxy.user() != null) {
            if (c instanceof HttpsURLConnection) { // the CONNECT: answered 407 first, then sent with these
                c.setAuthenticator(new Authenticator() {
                    @Override
                    protected PasswordAuthentication getPasswordAuthentication() {
                        return getRequestorType() == RequestorType.PROXY
                                ? new PasswordAuthentication(proxy.user(), proxy.password().toCharArray()) : null;
                    }
                });
            } else { // plain HTTP through the proxy: with the request itself (a body cannot be sent twice)
                c.setRequestProperty("Proxy-Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (proxy.user() + ":" + proxy.password()).getBytes(StandardCharsets.UTF_8)));
            }
        }
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setRequestMethod(method);
        c.setRequestProperty("User-Agent", client.userAgent());
        headers.forEach(c::setRequestProperty);
        int left = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        c.setConnectTimeout(left);
        c.setReadTimeout(left);
        AtomicBoolean cut = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            cut.set(true);
            c.disconnect();
        }, left, TimeUnit.MILLISECONDS);
        try {
            if (body != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            byte[] answer = new byte[0];
            if (maxBody > 0) {
                try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                    if (in != null) answer = readUntil(in, deadline, maxBody);
                }
            }
            return new Response(status, answer);
        } catch (IOException e) {
            if (cut.get()) throw new SocketTimeoutException("timed out");
            throw e;
        } finally {
            watchdog.cancel(false);
            c.disconnect();
        }
    }

    /**
     * The body, at most max bytes, read in pieces until the deadline. The
     * watchdog's disconnect does not cut a connection it caught before it
     * was connected, so a server dripping its body in is also stopped here.
     */
    private static byte[] readUntil(InputStream in, long deadline, int max) throws IOException {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n = in.read(buffer); n >= 0 && text.size() < max; n = in.read(buffer)) {
            text.write(buffer, 0, Math.min(n, max - text.size()));
            if (System.nanoTime() > deadline) throw new SocketTimeoutException("timed out");
        }
        return text.toByteArray();
    }
}
