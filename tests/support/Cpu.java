import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        for (long p : pids) {
            try (var tasks = Files.list(Path.of("/proc/" + p + "/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        sum += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                    } catch (Exception e) { // the thread ended while listed
                    }
                }
            } catch (Exception e) { // the process ended
            }
        }
        return sum;
    }
}
