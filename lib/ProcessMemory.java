package lib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Where memmon reads process memory: Linux's /proc where it exists (measured
 * faster and smaller), else OSHI (macOS, FreeBSD, the other Unixes
 * supervisord runs on). Decided once at start; OSHI's and JNA's classes are
 * loaded only when OSHI is the source.
 */
public final class ProcessMemory {
    public enum Source { PROC, OSHI }

    private final Source source;

    public ProcessMemory(Source source) { this.source = source; }

    /** /proc when this system has it, else OSHI. */
    public static Source defaultSource() {
        return hasProc() ? Source.PROC : Source.OSHI;
    }

    private static boolean hasProc() { return Files.isReadable(Path.of("/proc/self/stat")); }

    /** "proc" or "oshi", as --memory-source takes it. */
    public static Source parse(String name) {
        return switch (name.toLowerCase()) {
            case "proc" -> {
                if (!hasProc()) throw new IllegalArgumentException("this system has no /proc: use oshi");
                yield Source.PROC;
            }
            case "oshi" -> Source.OSHI;
            default -> throw new IllegalArgumentException("'" + name + "' is not proc or oshi");
        };
    }

    public Source source() { return source; }

    /** One process, or null when it is gone. */
    public ProcessTable.Entry read(int pid) {
        return source == Source.PROC ? ProcessTable.read(pid) : OshiProcesses.read(pid);
    }

    /** Every process, for the sums of -c. */
    public ProcessTable scan() throws IOException {
        return source == Source.PROC ? ProcessTable.scan() : OshiProcesses.scan();
    }

    /** The direct children of a process, or null when they cannot be known. */
    public Set<Integer> children(int pid) {
        return source == Source.PROC ? ProcessTable.children(pid) : OshiProcesses.children(pid);
    }
}
