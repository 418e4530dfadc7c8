package lib;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads XML as a series of events: a start tag, an end tag, or text. It knows what XML-RPC
 * uses: elements (attributes and namespace prefixes ignored), text with the predefined and
 * numeric character references, CDATA; comments and processing instructions are skipped.
 * A DOCTYPE is refused, so no entity is ever defined, let alone expanded. End tags must match
 * their start tags, and the input must not end inside an element.
 */
final class XmlReader {
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
    XmlReader(byte[] bytes, String rootName) throws IOException {
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

    /** Text from a broken answer can be long (a log tail): the error shows its start. */
    private static String abbreviated(String text) { return text.length() <= 60 ? text : text.substring(0, 60) + "..."; }

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
            if (!text.isBlank()) throw bad("text where a tag was expected: " + abbreviated(text.strip()));
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
