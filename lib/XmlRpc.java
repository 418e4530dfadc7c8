package lib;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small XML-RPC codec, enough for supervisord's API. Java types:
 * String, Integer (i4/int), Long (i8), Boolean, Double, byte[] (base64),
 * List (array), Map with String keys (struct), null (nil).
 * The parser refuses DTDs, so no entity from a response is ever expanded.
 * It reads XML with {@link XmlReader}, a reader of just the XML that XML-RPC
 * uses, rather than the JDK's: its StAX parser cost memmon 1.2 MiB of
 * memory for 80 classes, and 3 MiB more at 300 programs
 * (docs/performance.md); a DOM of supervisord's answer for 300 programs (385 KB)
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
            XmlReader r = new XmlReader(legal(xml), "methodResponse");
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
            XmlReader r = new XmlReader(xml, "methodCall");
            r.nextStart("methodName");
            String method = r.elementText().trim();
            List<Object> params = new ArrayList<>();
            if (r.nextTag() == XmlReader.START) {
                if (!r.name.equals("params")) throw new IOException("malformed XML-RPC: <" + r.name + "> in <methodCall>");
                while (r.nextTag() == XmlReader.START) { // <param><value>...</value></param>
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
    private static Object readValue(XmlReader r) throws IOException {
        StringBuilder untyped = new StringBuilder();
        while (true) {
            int event = r.next();
            if (event == XmlReader.END) return untyped.toString(); // <value>text</value> is a string
            if (event == XmlReader.TEXT) untyped.append(r.text);
            if (event == XmlReader.START) break;
        }
        String type = r.name;
        Object result = switch (type) {
            case "array" -> {
                List<Object> list = new ArrayList<>();
                r.nextStart("data");
                while (r.nextTag() == XmlReader.START) list.add(readValue(r));
                r.nextTag(); // </array>
                yield list;
            }
            case "struct" -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (r.nextTag() == XmlReader.START) { // <member><name/><value/></member>
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
}
