package lib;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Byte sizes (10000, 200KB, 1GB: 1024-based, case-insensitive, as
 * superlance's memmon) and durations (30, 30s, 5m, 2h, 1d). Strict: anything
 * else is an error, so a typo never turns into a silent default.
 */
public final class Sizes {
    private Sizes() {}

    public static long parseBytes(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (s.endsWith("KB")) unit = 1L << 10;
        else if (s.endsWith("MB")) unit = 1L << 20;
        else if (s.endsWith("GB")) unit = 1L << 30;
        String digits = unit == 1 ? s : s.substring(0, s.length() - 2).trim();
        return times(digits, unit, "'" + text + "' is not a size: give bytes, or a number with KB, MB or GB");
    }

    public static long parseSeconds(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
        switch (last) {
            case 's' -> unit = 1;
            case 'm' -> unit = 60;
            case 'h' -> unit = 3600;
            case 'd' -> unit = 86400;
            default -> unit = 0;
        }
        String digits = unit == 0 ? s : s.substring(0, s.length() - 1).trim();
        return times(digits, Math.max(unit, 1), "'" + text + "' is not a duration: give seconds, or a number with s, m, h or d");
    }

    /** A duration as the options take it, shortest first: 45s, 3m20s, 1h, 2d3h (whole seconds, rounded down). */
    public static String duration(long millis) {
        long s = Math.max(0, millis / 1000);
        if (s == 0) return "0s";
        StringBuilder text = new StringBuilder();
        long[] units = {86400, 3600, 60, 1};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (s >= units[i]) {
                text.append(s / units[i]).append(names[i]);
                s %= units[i];
            }
        }
        return text.toString();
    }

    private static long times(String digits, long unit, String error) {
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) throw new IllegalArgumentException(error);
        try {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(error + " (too large)");
        }
    }

    /** picocli converter: a bad value becomes "Invalid value for option '-a': ...". */
    public static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parseBytes(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    public static final class Seconds implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parseSeconds(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
