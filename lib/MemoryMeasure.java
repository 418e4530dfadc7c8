package lib;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

/**
 * What memmon compares with a limit (--measure, --with-swap), read from
 * Linux's /proc for one process:
 * - RSS: resident pages, shared ones counted in full in every process that
 *   maps them (superlance's measure; /proc/PID/stat, as ProcessTable reads it);
 * - PSS: each shared page divided among the processes that share it, so the
 *   PSS of a pre-forking server's tree adds up to what it really costs;
 * - USS: the pages only this process has (Private_Clean + Private_Dirty),
 *   what would be freed if it exited.
 * PSS and USS come from /proc/PID/smaps_rollup (Linux 4.14+), or
 * /proc/PID/smaps summed where that is missing; both make the kernel walk the
 * process's page tables, so they are read only for processes with a limit.
 * Swap: VmSwap of /proc/PID/status for RSS, SwapPss of smaps for PSS and USS.
 */
public enum MemoryMeasure {
    RSS, PSS, USS;

    /** The bytes of a smaps or smaps_rollup text that memmon uses, summed over every mapping. */
    public record Smaps(long rss, long pss, long uss, long swap, long swapPss) {}

    /** "rss", "pss" or "uss", as --measure takes them. */
    public static MemoryMeasure parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "rss" -> RSS;
            case "pss" -> PSS;
            case "uss" -> USS;
            default -> throw new IllegalArgumentException("'" + name + "' is not rss, pss or uss");
        };
    }

    /**
     * The bytes of this measure for one process, swap added when asked;
     * rssBytes is its RSS as already read (from /proc/PID/stat). Throws
     * NoSuchFileException when the process is gone, another IOException
     * (AccessDeniedException: another user's, hidepid) when it may not be read.
     */
    public long of(int pid, long rssBytes, boolean withSwap) throws IOException {
        if (this == RSS) return withSwap ? rssBytes + vmSwap(pid) : rssBytes;
        Smaps s = smaps(pid);
        return (this == PSS ? s.pss() : s.uss()) + (withSwap ? s.swapPss() : 0);
    }

    /** /proc/PID/smaps_rollup, or /proc/PID/smaps where the kernel is older than 4.14. */
    public static Smaps smaps(int pid) throws IOException {
        try {
            return parseSmaps(read("/proc/" + pid + "/smaps_rollup"));
        } catch (NoSuchFileException e) {
            if (!new java.io.File("/proc/" + pid).exists()) throw e; // the process is gone
            return parseSmaps(read("/proc/" + pid + "/smaps"));
        }
    }

    /** The sums of the Rss, Pss, Private_*, Swap and SwapPss lines (kB) of a smaps or smaps_rollup text, in bytes. */
    public static Smaps parseSmaps(String text) {
        long rss = 0, pss = 0, uss = 0, swap = 0, swapPss = 0;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0 || !line.endsWith(" kB")) continue; // a mapping's header, VmFlags, THPeligible
            long kib = kib(line, colon);
            switch (line.substring(0, colon)) {
                case "Rss" -> rss += kib;
                case "Pss" -> pss += kib;
                case "Private_Clean", "Private_Dirty" -> uss += kib;
                case "Swap" -> swap += kib;
                case "SwapPss" -> swapPss += kib;
                default -> { }
            }
        }
        return new Smaps(rss << 10, pss << 10, uss << 10, swap << 10, swapPss << 10);
    }

    /** VmSwap of /proc/PID/status, in bytes (0 when the kernel does not say). */
    static long vmSwap(int pid) throws IOException {
        for (String line : read("/proc/" + pid + "/status").split("\n")) {
            if (line.startsWith("VmSwap:")) return kib(line, 6) << 10;
        }
        return 0;
    }

    private static long kib(String line, int colon) {
        long value = 0;
        for (int i = colon + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c >= '0' && c <= '9') value = value * 10 + (c - '0');
            else if (c == 'k') break;
        }
        return value;
    }

    private static String read(String path) throws IOException {
        try (FileInputStream in = new FileInputStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.io.FileNotFoundException e) { // FileInputStream says both "gone" and "not allowed" this way
            String why = e.getMessage() == null ? "" : e.getMessage();
            if (why.contains("Permission denied")) throw new java.nio.file.AccessDeniedException(path, null, "Permission denied");
            throw new NoSuchFileException(path);
        }
    }
}
