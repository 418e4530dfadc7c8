package lib;

import java.util.List;
import java.util.Map;

/**
 * Writes JSON (RFC 8259) from maps, lists, strings, numbers, booleans and
 * null. Small on purpose: the plugins only write JSON, never read it, and a
 * library would cost every listener its classes. Every string is escaped:
 * quotes, backslashes, all control characters, and a lone surrogate (which
 * UTF-8 cannot carry) becomes U+FFFD, so event text never breaks a document.
 */
public final class Json {
    private Json() {}

    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(out, s);
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) out.append(',');
                first = false;
                string(out, String.valueOf(e.getKey()));
                out.append(':');
                write(out, e.getValue());
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) out.append(',');
                write(out, list.get(i));
            }
            out.append(']');
        } else {
            string(out, value.toString());
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i)); // a whole non-BMP character, as UTF-8 will carry it
                    } else if (Character.isSurrogate(c)) {
                        out.append('\ufffd');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * Checks that a text is one JSON value (RFC 8259) and nothing more; an
     * IllegalArgumentException says where and why. For --webhook-template,
     * checked once at start: the plugins never need to read JSON otherwise.
     */
    public static void check(String text) {
        int end = value(text, skip(text, 0));
        if (skip(text, end) != text.length()) throw error(text, skip(text, end), "text after the JSON value");
    }

    private static int value(String t, int i) {
        if (i >= t.length()) throw error(t, i, "a value is missing");
        char c = t.charAt(i);
        if (c == '{') return members(t, skip(t, i + 1), '}', true);
        if (c == '[') return members(t, skip(t, i + 1), ']', false);
        if (c == '"') return string(t, i);
        for (String word : new String[] {"true", "false", "null"}) if (t.startsWith(word, i)) return i + word.length();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?").matcher(t);
        if (m.find(i) && m.start() == i && m.end() > i) return m.end();
        throw error(t, i, "unexpected '" + c + "'");
    }

    private static int members(String t, int i, char close, boolean object) {
        if (i < t.length() && t.charAt(i) == close) return i + 1;
        while (true) {
            if (object) {
                if (i >= t.length() || t.charAt(i) != '"') throw error(t, i, "a member name (a string) is expected");
                i = skip(t, string(t, i));
                if (i >= t.length() || t.charAt(i) != ':') throw error(t, i, "':' is expected");
                i = skip(t, i + 1);
            }
            i = skip(t, value(t, i));
            if (i < t.length() && t.charAt(i) == ',') {
                i = skip(t, i + 1);
                continue;
            }
            if (i < t.length() && t.charAt(i) == close) return i + 1;
            throw error(t, i, "',' or '" + close + "' is expected");
        }
    }

    private static int string(String t, int i) {
        for (int j = i + 1; j < t.length(); j++) {
            char c = t.charAt(j);
            if (c == '"') return j + 1;
            if (c < 0x20) throw error(t, j, "a control character inside a string");
            if (c == '\\') {
                if (j + 1 >= t.length()) break;
                char e = t.charAt(++j);
                if (e == 'u') {
                    if (j + 4 >= t.length() || !t.substring(j + 1, j + 5).matches("[0-9a-fA-F]{4}")) throw error(t, j, "a bad \\u escape");
                    j += 4;
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw error(t, j, "a bad escape \\" + e);
                }
            }
        }
        throw error(t, t.length(), "a string is not closed");
    }

    private static int skip(String t, int i) {
        while (i < t.length() && " \t\r\n".indexOf(t.charAt(i)) >= 0) i++;
        return i;
    }

    private static IllegalArgumentException error(String t, int at, String why) {
        int line = 1;
        for (int k = 0; k < Math.min(at, t.length()); k++) if (t.charAt(k) == '\n') line++;
        return new IllegalArgumentException("line " + line + ": " + why);
    }

    /** A string as it goes inside JSON quotes: escaped, without the quotes. */
    public static String escaped(String s) {
        String quoted = write(s);
        return quoted.substring(1, quoted.length() - 1);
    }
}
