package lib;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into words as a POSIX shell would for quoting
 * ('...', "...", backslash), so that it can run without a shell. Nothing
 * else of the shell exists here: no variables, globs, pipes or redirections.
 */
public final class Argv {
    private Argv() {}

    public static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) throw new IllegalArgumentException("unterminated ' in: " + line);
                word.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                i++;
                for (; i < line.length() && line.charAt(i) != '"'; i++) {
                    char d = line.charAt(i);
                    if (d == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) d = line.charAt(++i);
                    word.append(d);
                }
                if (i >= line.length()) throw new IllegalArgumentException("unterminated \" in: " + line);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= line.length()) throw new IllegalArgumentException("trailing \\ in: " + line);
                word.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) words.add(word.toString());
                word.setLength(0);
                inWord = false;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) words.add(word.toString());
        return words;
    }
}
