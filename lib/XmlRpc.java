package lib;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * A small XML-RPC codec, enough for supervisord's API. Java types:
 * String, Integer (i4/int), Long (i8), Boolean, Double, byte[] (base64),
 * List (array), Map with String keys (struct), null (nil).
 * The parser refuses DTDs, so no entity from a response is ever expanded.
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
        Element root = parse(xml, "methodResponse");
        Element fault = child(root, "fault");
        if (fault != null) {
            Object value = parseValue(required(fault, "value"));
            if (!(value instanceof Map<?, ?> struct) || !(struct.get("faultCode") instanceof Integer code)) {
                throw new IOException("malformed XML-RPC fault");
            }
            throw new Fault(code, String.valueOf(struct.get("faultString")));
        }
        Element param = required(required(root, "params"), "param");
        return parseValue(required(param, "value"));
    }

    public static Call parseCall(byte[] xml) throws IOException {
        Element root = parse(xml, "methodCall");
        String method = required(root, "methodName").getTextContent().trim();
        List<Object> params = new ArrayList<>();
        Element paramsElement = child(root, "params");
        if (paramsElement != null) {
            for (Element param : children(paramsElement)) params.add(parseValue(required(param, "value")));
        }
        return new Call(method, params);
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

    private static Object parseValue(Element value) throws IOException {
        Element typed = firstChild(value);
        if (typed == null) return value.getTextContent(); // <value>text</value> is a string
        String text = typed.getTextContent();
        try {
            return switch (typed.getTagName()) {
                case "string" -> text;
                case "int", "i4" -> Integer.parseInt(text.trim());
                case "i8" -> Long.parseLong(text.trim());
                case "boolean" -> "1".equals(text.trim());
                case "double" -> Double.parseDouble(text.trim());
                case "nil" -> null;
                case "base64" -> Base64.getMimeDecoder().decode(text.trim());
                case "dateTime.iso8601" -> text.trim();
                case "array" -> {
                    List<Object> list = new ArrayList<>();
                    for (Element item : children(required(typed, "data"))) list.add(parseValue(item));
                    yield list;
                }
                case "struct" -> {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (Element member : children(typed)) {
                        map.put(required(member, "name").getTextContent(), parseValue(required(member, "value")));
                    }
                    yield map;
                }
                default -> throw new IOException("unknown XML-RPC type <" + typed.getTagName() + ">");
            };
        } catch (NumberFormatException e) {
            throw new IOException("bad XML-RPC number: " + text.trim());
        }
    }

    private static Element parse(byte[] xml, String rootName) throws IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null); // errors are thrown, not printed
            Element root = builder.parse(new ByteArrayInputStream(xml)).getDocumentElement();
            if (!root.getTagName().equals(rootName)) {
                throw new IOException("expected <" + rootName + ">, got <" + root.getTagName() + ">");
            }
            return root;
        } catch (SAXException | ParserConfigurationException e) {
            throw new IOException("malformed XML-RPC: " + e.getMessage());
        }
    }

    private static Element required(Element parent, String name) throws IOException {
        Element e = child(parent, name);
        if (e == null) throw new IOException("malformed XML-RPC: <" + parent.getTagName() + "> without <" + name + ">");
        return e;
    }

    private static Element child(Element parent, String name) {
        for (Element e : children(parent)) if (e.getTagName().equals(name)) return e;
        return null;
    }

    private static Element firstChild(Element parent) {
        List<Element> all = children(parent);
        return all.isEmpty() ? null : all.get(0);
    }

    private static List<Element> children(Element parent) {
        List<Element> list = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) list.add(e);
        }
        return list;
    }
}
