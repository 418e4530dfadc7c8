import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import lib.Http;
import org.junit.jupiter.api.Test;

/** Which proxy a request takes, as curl would choose it (ProxyE2ETest goes through a real one). */
class HttpTest {
    private static final URI HTTPS = URI.create("https://hooks.slack.com/services/x"), HTTP = URI.create("http://127.0.0.1:9093/");

    private static String chosen(URI target, String option, Map<String, String> env) {
        Http.Proxy p = Http.choose(target, option, env);
        return p == null ? "direct" : p.toString();
    }

    @Test
    void theEnvironmentAsCurlReadsIt() {
        assertEquals("direct", chosen(HTTPS, null, Map.of()));
        assertEquals("proxy http://proxy.corp:3128 from $https_proxy", chosen(HTTPS, null, Map.of("https_proxy", "http://proxy.corp:3128")));
        assertEquals("proxy http://proxy.corp:3128 from $HTTPS_PROXY", chosen(HTTPS, null, Map.of("HTTPS_PROXY", "proxy.corp:3128")),
                "either case; a bare host:port is http://");
        assertEquals("proxy http://low:1 from $https_proxy", chosen(HTTPS, null, Map.of("https_proxy", "http://low:1", "HTTPS_PROXY", "http://up:2")));
        assertEquals("direct", chosen(HTTPS, null, Map.of("http_proxy", "http://proxy.corp:3128")), "http_proxy is for http:// only");
        assertEquals("proxy http://p:1080 from $http_proxy", chosen(HTTP, null, Map.of("http_proxy", "http://p")), "curl's default port");
        assertEquals("proxy http://p:8080 (with credentials) from $https_proxy",
                chosen(HTTPS, null, Map.of("https_proxy", "http://u:secret@p:8080")), "credentials: said, never shown");
    }

    @Test
    void noProxyTakesSuffixesAddressesCidrsAndStar() {
        Map<String, String> proxy = Map.of("https_proxy", "http://p:3128", "http_proxy", "http://p:3128");
        for (String list : java.util.List.of("slack.com", ".slack.com", "example.org, hooks.slack.com", "*", "SLACK.COM")) {
            Map<String, String> env = new java.util.HashMap<>(proxy);
            env.put("no_proxy", list);
            assertEquals("direct", chosen(HTTPS, null, env), list);
        }
        for (String list : java.util.List.of("127.0.0.0/8", "127.0.0.1", "10.0.0.0/8,127.0.0.1/32")) {
            assertEquals("direct", chosen(HTTP, null, Map.of("http_proxy", "http://p:3128", "NO_PROXY", list)), list);
        }
        for (String list : java.util.List.of("ack.com", "10.0.0.0/8", "hooks.slack.com.evil", "")) {
            Map<String, String> env = new java.util.HashMap<>(proxy);
            env.put("no_proxy", list);
            assertTrue(chosen(list.contains("10.") ? HTTP : HTTPS, null, env).startsWith("proxy"), list);
        }
        assertEquals("direct", chosen(URI.create("http://[::1]:8080/"), null, Map.of("http_proxy", "http://p:1", "no_proxy", "::1")));
    }

    @Test
    void theOptionOverridesTheEnvironment() {
        Map<String, String> env = Map.of("https_proxy", "http://p:3128");
        assertNull(Http.choose(HTTPS, "none", env));
        assertEquals("proxy http://q:8080 from --alert-proxy", chosen(HTTPS, "http://q:8080", Map.of("no_proxy", "*")));
        assertThrows(IllegalArgumentException.class, () -> Http.choose(HTTPS, "socks5://q:1080", env), "an HTTP proxy only");
        assertThrows(IllegalArgumentException.class, () -> Http.choose(HTTPS, null, Map.of("https_proxy", "socks5://q:1")));
        assertEquals(2, AlertsTest.exitStatus(new crashmail(), "-a", "--slack", "https://x.example.com/", "--alert-proxy", "ftp://p:1"));
    }
}
