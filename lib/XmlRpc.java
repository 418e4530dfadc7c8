package lib;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small XML-RPC codec, enough for supervisord's API. Java types:
 * String, Integer (i4/int), Long (i8), Boolean, Double, byte[] (base64),
 * List (array), Map with String keys (struct), null (nil).
 * The parser refuses DTDs, so no entity from a response is ever expanded.
 * It reads XML with {@link Pull}, a reader of just the XML that XML-RPC
 * uses, rather than the JDK's: its StAX parser cost memmon 1.2 MiB of
 * memory for 80 classes, and 3 MiB more at 300 programs (README,
 * Footprint); a DOM of supervisord's answer for 300 programs (385 KB)
 * grew the heap by MBs.
 */
public final class XmlRpc {
    private XmlRpc() {}

    /** A fault answered by the server: faultCode and faultString. */
    public static class Fault extends Exception {
        public final int code;

        public Fault(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** A parsed methodCall. */
    public record Call(String method, List<Object> params) {}

    public static String call(String method, Object... params) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
        escape(xml, method);
        xml.append("</methodName><params>");
        for (Object param : params) {
            xml.append("<param>");
            value(xml, param);
            xml.append("</param>");
        }
        return xml.append("</params></methodCall>\n").toString();
    }

    public static String response(Object result) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<methodResponse><params><param>");
        value(xml, result);
        return xml.append("</param></params></methodResponse>\n").toString();
    }

    public static String fault(int code, String message) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<methodResponse><fault>");
        value(xml, Map.of("faultCode", code, "faultString", message));
        return xml.append("</fault></methodResponse>\n").toString();
    }

    /** The result of a methodResponse; a fault is thrown as {@link Fault}. */
    public static Object parseResponse(byte[] xml) throws IOException, Fault {
        Object value;
        boolean fault;
        try {
            Pull r = new Pull(legal(xml), "methodResponse");
            fault = r.nextStart("fault", "params").equals("fault");
            if (!fault) r.nextStart("param");
            r.nextStart("value");
            value = readValue(r);
            for (int closing = fault ? 2 : 3; closing > 0; closing--) r.nextEnd(); // </param></params> or </fault>, </methodResponse>
        } catch (RuntimeException e) {
            throw new IOException("malformed XML-RPC: " + e.getMessage());
        }
        if (fault) {
            if (!(value instanceof Map<?, ?> struct) || !(struct.get("faultCode") instanceof Integer code)) {
                throw new IOException("malformed XML-RPC fault");
            }
            throw new Fault(code, String.valueOf(struct.get("faultString")));
        }
        return value;
    }

    /**
     * supervisord writes a program's log text into its answers as it is, and
     * control characters other than tab, CR and LF are not XML: they arrive
     * here as the text \xNN instead of failing the whole answer. (They are
     * single bytes in UTF-8; no byte of a longer sequence is below 0x80.)
     */
    static byte[] legal(byte[] xml) {
        int bad = 0;
        for (byte b : xml) if (illegal(b)) bad++;
        if (bad == 0) return xml;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(xml.length + 3 * bad);
        for (byte b : xml) {
            if (illegal(b)) {
                out.writeBytes(String.format("\\x%02x", b).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static boolean illegal(byte b) { return b >= 0 && b < 0x20 && b != '\t' && b != '\n' && b != '\r'; }

    public static Call parseCall(byte[] xml) throws IOException {
        try {
            Pull r = new Pull(xml, "methodCall");
            r.nextStart("methodName");
            String method = r.elementText().trim();
            List<Object> params = new ArrayList<>();
            if (r.nextTag() == Pull.START) {
                if (!r.name.equals("params")) throw new IOException("malformed XML-RPC: <" + r.name + "> in <methodCall>");
                while (r.nextTag() == Pull.START) { // <param><value>...</value></param>
                    r.nextStart("value");
                    params.add(readValue(r));
                    r.nextTag();
                }
            }
            return new Call(method, params);
        } catch (RuntimeException e) {
            throw new IOException("malformed XML-RPC: " + e.getMessage());
        }
    }

    private static void value(StringBuilder xml, Object v) {
        xml.append("<value>");
        if (v == null) {
            xml.append("<nil/>");
        } else if (v instanceof String s) {
            xml.append("<string>");
            escape(xml, s);
            xml.append("</string>");
        } else if (v instanceof Integer i) {
            xml.append("<int>").append(i).append("</int>");
        } else if (v instanceof Long l) {
            xml.append("<i8>").append(l).append("</i8>");
        } else if (v instanceof Boolean b) {
            xml.append("<boolean>").append(b ? 1 : 0).append("</boolean>");
        } else if (v instanceof Double d) {
            xml.append("<double>").append(d).append("</double>");
        } else if (v instanceof byte[] bytes) {
            xml.append("<base64>").append(Base64.getEncoder().encodeToString(bytes)).append("</base64>");
        } else if (v instanceof List<?> list) {
            xml.append("<array><data>");
            for (Object item : list) value(xml, item);
            xml.append("</data></array>");
        } else if (v instanceof Map<?, ?> map) {
            xml.append("<struct>");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                xml.append("<member><name>");
                escape(xml, String.valueOf(e.getKey()));
                xml.append("</name>");
                value(xml, e.getValue());
                xml.append("</member>");
            }
            xml.append("</struct>");
        } else {
            throw new IllegalArgumentException("no XML-RPC type for " + v.getClass().getName());
        }
        xml.append("</value>");
    }

    /** Escapes markup; characters XML 1.0 cannot carry become U+FFFD, CR survives as a reference. */
    private static void escape(StringBuilder xml, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> xml.append("&amp;");
                case '<' -> xml.append("&lt;");
                case '>' -> xml.append("&gt;");
                case '\r' -> xml.append("&#13;");
                default -> xml.append(c < 0x20 && c != '\t' && c != '\n' || c == 0xFFFE || c == 0xFFFF ? '\uFFFD' : c);
            }
        }
    }

    /** Reads from a <value> start tag to its end tag. */
    private static Object readValue(Pull r) throws IOException {
        StringBuilder untyped = new StringBuilder();
        while (true) {
            int event = r.next();
            if (event == Pull.END) return untyped.toString(); // <value>text</value> is a string
            if (event == Pull.TEXT) untyped.append(r.text);
            if (event == Pull.START) break;
        }
        String type = r.name;
        Object result = switch (type) {
            case "array" -> {
                List<Object> list = new ArrayList<>();
                r.nextStart("data");
                while (r.nextTag() == Pull.START) list.add(readValue(r));
                r.nextTag(); // </array>
                yield list;
            }
            case "struct" -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (r.nextTag() == Pull.START) { // <member><name/><value/></member>
                    r.nextStart("name");
                    String name = r.elementText();
                    r.nextStart("value");
                    map.put(name, readValue(r));
                    r.nextTag();
                }
                yield map;
            }
            case "nil" -> {
                r.nextTag();
                yield null;
            }
            default -> scalar(type, r.elementText());
        };
        r.nextTag(); // </value>
        return result;
    }

    private static Object scalar(String type, String text) throws IOException {
        try {
            return switch (type) {
                case "string" -> text;
                case "int", "i4" -> Integer.parseInt(text.trim());
                case "i8" -> Long.parseLong(text.trim());
                case "boolean" -> "1".equals(text.trim());
                case "double" -> Double.parseDouble(text.trim());
                case "base64" -> Base64.getMimeDecoder().decode(text.trim());
                case "dateTime.iso8601" -> text.trim();
                default -> throw new IOException("unknown XML-RPC type <" + type + ">");
            };
        } catch (NumberFormatException e) {
            throw new IOException("bad XML-RPC number: " + text.trim());
        }
    }

    /**
     * Reads XML as a series of events: a start tag, an end tag, or text. It knows what XML-RPC
     * uses: elements (attributes and namespace prefixes ignored), text with the predefined and
     * numeric character references, CDATA; comments and processing instructions are skipped.
     * A DOCTYPE is refused, so no entity is ever defined, let alone expanded. End tags must match
     * their start tags, and the input must not end inside an element.
     */
    static final class Pull {
        static final int START = 1, END = 2, TEXT = 3;
        private final String xml;
        private final ArrayDeque<String> open = new ArrayDeque<>();
        private int at;
        private boolean emptyElement; // <nil/>: its end comes next
        /** The local name of the current start or end tag. */
        String name;
        /** The current text, references replaced. */
        String text;

        /** A reader positioned on the root element, which must be rootName. */
        Pull(byte[] bytes, String rootName) throws IOException {
            xml = decode(bytes);
            if (nextTag() != START) throw bad("no XML element");
            if (!name.equals(rootName)) throw bad("expected <" + rootName + ">, got <" + name + ">");
        }

        private static final Pattern DECLARED = Pattern.compile("<\\?xml[^>]*?encoding\\s*=\\s*[\"']([^\"']*)[\"']");

        /** UTF-8 unless the XML declaration names another encoding; a byte order mark is dropped. */
        private static String decode(byte[] bytes) throws IOException {
            Matcher declared = DECLARED.matcher(new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1));
            String xml;
            try {
                xml = new String(bytes, declared.lookingAt() ? Charset.forName(declared.group(1)) : StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw bad("unknown encoding " + declared.group(1));
            }
            return xml.startsWith("\uFEFF") ? xml.substring(1) : xml;
        }

        /** The next event: START, END or TEXT. */
        int next() throws IOException {
            if (emptyElement) {
                emptyElement = false;
                return END;
            }
            while (true) {
                if (at >= xml.length()) throw bad(open.isEmpty() ? "no XML element" : "unexpected end inside <" + open.peek() + ">");
                if (xml.charAt(at) != '<') {
                    text = characters();
                    return TEXT;
                }
                if (xml.startsWith("<?", at)) {
                    at = after("?>");
                } else if (xml.startsWith("<!--", at)) {
                    at = after("-->");
                } else if (xml.startsWith("<![CDATA[", at)) {
                    int from = at + "<![CDATA[".length();
                    at = after("]]>");
                    text = xml.substring(from, at - 3);
                    return TEXT;
                } else if (xml.startsWith("<!", at)) {
                    throw bad("DOCTYPE is not allowed");
                } else if (xml.startsWith("</", at)) {
                    int close = xml.indexOf('>', at);
                    if (close < 0) throw bad("unclosed end tag");
                    name = local(xml.substring(at + 2, close).strip());
                    at = close + 1;
                    if (!name.equals(open.poll())) throw bad("</" + name + "> does not close an open element");
                    return END;
                } else {
                    return startTag();
                }
            }
        }

        /** Reads <name attr="v" ...> or <name/>; attribute values may hold '>' and '/'. */
        private int startTag() throws IOException {
            int i = at + 1;
            while (i < xml.length() && " \t\r\n/>".indexOf(xml.charAt(i)) < 0) i++;
            String raw = xml.substring(at + 1, i);
            if (raw.isEmpty()) throw bad("'<' without a name");
            char quote = 0;
            for (; i < xml.length(); i++) {
                char c = xml.charAt(i);
                if (quote != 0) {
                    if (c == quote) quote = 0;
                } else if (c == '"' || c == '\'') {
                    quote = c;
                } else if (c == '>') {
                    break;
                }
            }
            if (i >= xml.length()) throw bad("unclosed start tag <" + raw);
            name = local(raw);
            emptyElement = xml.charAt(i - 1) == '/';
            if (!emptyElement) open.push(name);
            at = i + 1;
            return START;
        }

        /** Text up to the next '<', with references replaced and line ends made "\n" as XML says. */
        private String characters() throws IOException {
            StringBuilder out = new StringBuilder();
            while (at < xml.length() && xml.charAt(at) != '<') {
                char c = xml.charAt(at++);
                if (c == '&') {
                    int semi = xml.indexOf(';', at);
                    if (semi < 0 || semi - at > 10) throw bad("'&' without ';'");
                    String ref = xml.substring(at, semi);
                    at = semi + 1;
                    switch (ref) {
                        case "amp" -> out.append('&');
                        case "lt" -> out.append('<');
                        case "gt" -> out.append('>');
                        case "quot" -> out.append('"');
                        case "apos" -> out.append('\'');
                        default -> out.appendCodePoint(codePoint(ref));
                    }
                } else if (c == '\r') {
                    out.append('\n');
                    if (at < xml.length() && xml.charAt(at) == '\n') at++;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }

        /** &#NNN; or &#xHHH; */
        private static int codePoint(String ref) throws IOException {
            try {
                if (ref.startsWith("#x")) return Integer.parseInt(ref.substring(2), 16);
                if (ref.startsWith("#")) return Integer.parseInt(ref.substring(1));
            } catch (NumberFormatException e) {
                // not a number: as unknown
            }
            throw bad("unknown entity &" + ref + ";");
        }

        private static IOException bad(String why) { return new IOException("malformed XML-RPC: " + why); }

        private static String local(String qualified) { return qualified.substring(qualified.indexOf(':') + 1); }

        private int after(String end) throws IOException {
            int i = xml.indexOf(end, at);
            if (i < 0) throw bad("unclosed " + xml.substring(at, Math.min(xml.length(), at + 9)));
            return i + end.length();
        }

        /** The next start or end tag; text between must be white space, as StAX's nextTag. */
        int nextTag() throws IOException {
            int event;
            while ((event = next()) == TEXT) {
                if (!text.isBlank()) throw bad("text where a tag was expected: " + text.strip());
            }
            return event;
        }

        /** Moves to the next start tag, which must have one of these names; returns its name. */
        String nextStart(String... names) throws IOException {
            int event = nextTag();
            if (event != START || !List.of(names).contains(name)) {
                throw bad("expected <" + String.join("> or <", names) + ">, got "
                        + (event == START ? "<" + name + ">" : "</" + name + ">"));
            }
            return name;
        }

        /** The next end tag, which closes the innermost open element (next() checks that). */
        void nextEnd() throws IOException {
            if (nextTag() != END) throw bad("<" + name + "> where an end tag was expected");
        }

        /** The text of the current element, up to its end tag; an element inside it is an error. */
        String elementText() throws IOException {
            StringBuilder out = new StringBuilder();
            int event;
            while ((event = next()) == TEXT) out.append(text);
            if (event == START) throw bad("<" + name + "> where text was expected");
            return out.toString();
        }
    }
}
