import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's memory as Linux sums it in /proc/PID/smaps_rollup, for the benchmarks. */
final class Smaps {
    private Smaps() {}

    /**
     * One field in KiB: "Rss:", or "Pss:", the proportional set size, where each shared page counts
     * as 1/N in each of the N processes mapping it.
     */
    static long kib(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        throw new IOException(field + " not in /proc/" + pid + "/smaps_rollup");
    }
}
