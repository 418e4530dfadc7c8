import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lib.XmlRpc;
import org.junit.jupiter.api.Test;

class XmlRpcTest {
    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private static Object roundTrip(Object value) throws Exception {
        return XmlRpc.parseResponse(utf8(XmlRpc.response(value)));
    }

    @Test
    void scalarsRoundTrip() throws Exception {
        assertEquals("a & b < c > d \"e\" 'f' é😀", roundTrip("a & b < c > d \"e\" 'f' é😀"));
        assertEquals("line1\r\nline2\ttab", roundTrip("line1\r\nline2\ttab"));
        assertEquals("", roundTrip(""));
        assertEquals(-42, roundTrip(-42));
        assertEquals(Long.MAX_VALUE, roundTrip(Long.MAX_VALUE));
        assertEquals(true, roundTrip(true));
        assertEquals(false, roundTrip(false));
        assertEquals(2.5, roundTrip(2.5));
        assertNull(roundTrip(null));
        assertArrayEquals(new byte[] {0, 1, (byte) 255}, (byte[]) roundTrip(new byte[] {0, 1, (byte) 255}));
    }

    @Test
    void arraysAndStructsRoundTrip() throws Exception {
        Map<String, Object> struct = new LinkedHashMap<>();
        struct.put("name", "web<1>");
        struct.put("pid", 1234);
        struct.put("flags", List.of(true, false));
        struct.put("nested", Map.of("k&", List.of()));
        Object back = roundTrip(List.of(struct, "x", 3));
        assertEquals(List.of(struct, "x", 3), back);
    }

    @Test
    void callsRoundTrip() throws Exception {
        XmlRpc.Call call = XmlRpc.parseCall(utf8(XmlRpc.call("supervisor.stopProcess", "grp:name", true)));
        assertEquals("supervisor.stopProcess", call.method());
        assertEquals(List.of("grp:name", true), call.params());
    }

    @Test
    void faultsAreThrownWithCodeAndText() {
        XmlRpc.Fault fault = assertThrows(XmlRpc.Fault.class,
                () -> XmlRpc.parseResponse(utf8(XmlRpc.fault(10, "BAD_NAME: nosuch & co"))));
        assertEquals(10, fault.code);
        assertEquals("BAD_NAME: nosuch & co", fault.getMessage());
    }

    @Test
    void readsWhatSupervisordWrites() throws Exception {
        // Untyped <value>, i4 and whitespace between elements, as Python's xmlrpc.client writes them.
        String xml = """
                <?xml version='1.0'?>
                <methodResponse>
                <params>
                <param>
                <value><array><data>
                <value><struct>
                <member>
                <name>name</name>
                <value><string>cat</string></value>
                </member>
                <member>
                <name>pid</name>
                <value><i4>2766</i4></value>
                </member>
                <member>
                <name>description</name>
                <value>pid 2766, uptime 0:00:05</value>
                </member>
                </struct></value>
                </data></array></value>
                </param>
                </params>
                </methodResponse>
                """;
        Object result = XmlRpc.parseResponse(utf8(xml));
        assertEquals(List.of(Map.of("name", "cat", "pid", 2766, "description", "pid 2766, uptime 0:00:05")), result);
    }

    @Test
    void refusesDoctypesSoNoEntityIsEverExpanded() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<methodResponse><params><param><value><string>&x;</string></value></param></params></methodResponse>";
        IOException e = assertThrows(IOException.class, () -> XmlRpc.parseResponse(utf8(xxe)));
        assertTrue(e.getMessage().contains("malformed XML-RPC"), e.getMessage());
    }

    @Test
    void malformedResponsesAreIOExceptions() {
        for (String bad : Arrays.asList("", "<html>502</html>", "<methodResponse><params/></methodResponse>",
                "<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>")) {
            assertThrows(IOException.class, () -> XmlRpc.parseResponse(utf8(bad)), bad);
        }
    }

    @Test
    void controlCharactersFromAProgramsLogDoNotBreakTheAnswer() throws Exception {
        // supervisord puts log text into its answer as it is: ESC and NUL are not XML.
        String answer = "<?xml version='1.0'?><methodResponse><params><param><value><array><data>"
                + "<value><string>red \u001b[31m and \u0000 nul\ttab</string></value><value><int>9</int></value>"
                + "<value><boolean>1</boolean></value></data></array></value></param></params></methodResponse>";
        assertEquals(java.util.List.of("red \\x1b[31m and \\x00 nul\ttab", 9, true),
                lib.XmlRpc.parseResponse(answer.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void readsXmlAsOtherServersWriteIt() throws Exception {
        // Comments, processing instructions, CDATA, numeric references, attributes, prefixes, empty elements, CRLF.
        String xml = "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- a proxy's comment -->\r\n"
                + "<methodResponse xmlns:x=\"urn:x\"><?pi data?><params><param><value><array id=\"a>b/\"><data>"
                + "<value><string><![CDATA[<raw & text>]]> &#233;&#xE9;&#x1F600; &quot;q&apos;</string></value>"
                + "<value><string/></value><value><nil/></value><value></value><value>line1\r\nline2\rline3</value>"
                + "<x:value><x:int>7</x:int></x:value>"
                + "</data></array></value></param></params></methodResponse>";
        List<Object> expected = Arrays.asList("<raw & text> \u00e9\u00e9\ud83d\ude00 \"q'", "", null, "", "line1\nline2\nline3", 7);
        assertEquals(expected, XmlRpc.parseResponse(utf8(xml)));
    }

    @Test
    void honoursTheEncodingTheDeclarationNames() throws Exception {
        String xml = "<?xml version='1.0' encoding='ISO-8859-1'?><methodResponse><params><param><value><string>caf\u00e9</string>"
                + "</value></param></params></methodResponse>";
        assertEquals("caf\u00e9", XmlRpc.parseResponse(xml.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void truncatedOrMismatchedXmlIsRefused() {
        String whole = XmlRpc.response(List.of(Map.of("name", "cat", "pid", 12), "x & y"));
        for (int cut = 0; cut < whole.length() - 1; cut++) { // every prefix of a whole answer but the final newline
            String part = whole.substring(0, cut);
            assertThrows(IOException.class, () -> XmlRpc.parseResponse(utf8(part)), part);
        }
        for (String bad : List.of(
                "<methodResponse><params><param><value><string>x</int></value></param></params></methodResponse>",
                "<methodResponse><params><param><value><string>a &unknown; b</string></value></param></params></methodResponse>",
                "<methodResponse><params><param><value><string>a & b</string></value></param></params></methodResponse>",
                "<methodResponse><params><param><value><string>&#xZZ;</string></value></param></params></methodResponse>",
                "<methodResponse><params>text<param><value>1</value></param></params></methodResponse>",
                "<methodResponse><params><param><value><string>x<b/></string></value></param></params></methodResponse>",
                "<?xml version='1.0' encoding='no-such-charset'?><methodResponse/>")) {
            IOException e = assertThrows(IOException.class, () -> XmlRpc.parseResponse(utf8(bad)), bad);
            assertTrue(e.getMessage().startsWith("malformed XML-RPC"), e.getMessage());
        }
        String longText = "<methodResponse><params>" + "x".repeat(100_000) + "<param/></params></methodResponse>";
        IOException e = assertThrows(IOException.class, () -> XmlRpc.parseResponse(utf8(longText)));
        assertTrue(e.getMessage().length() < 200, "the error quotes the start of the text only: " + e.getMessage().length());
    }
}
