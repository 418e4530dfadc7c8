import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of a process and its descendants, for the benchmarks: the sum
 * of /proc/PID/task/TID/schedstat (nanoseconds on a CPU) over their live
 * threads. Nanoseconds, where utime + stime count 10 ms clock ticks (an
 * idle listener's minute is a few of them). A thread that ended between
 * two readings takes its time with it: the listeners' threads live as long
 * as they do, and the benchmarks read around work that starts none.
 */
final class Cpu {
    private Cpu() {}

    static long nanos(long pid) {
        List<Long> pids = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        long sum = 0;
        for (long p : pids) for (long used : threads(p).values()) sum += used;
        return sum;
    }

    /** "TID name" -> nanoseconds on a CPU, for each live thread of one process (not its children). */
    static Map<String, Long> threads(long pid) {
        Map<String, Long> used = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    used.put(task.getFileName() + " " + Files.readString(task.resolve("comm")).trim(),
                            Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]));
                } catch (Exception e) { // the thread ended while listed
                }
            }
        } catch (Exception e) { // the process ended
        }
        return used;
    }
}
