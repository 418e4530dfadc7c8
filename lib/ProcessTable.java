package lib;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resident memory of processes, read from Linux's /proc/PID/stat: one small
 * file per process gives both the parent pid and the RSS. Measured on 363
 * processes: a full scan takes about 9 ms, where OSHI took 51 ms and 10 MiB
 * more heap, and no `ps` is forked (BusyBox's has no -p).
 */
public final class ProcessTable {
    /** One process: its parent and its resident set size in bytes. */
    public record Entry(int pid, int ppid, long rss) {}

    private static final long PAGE_SIZE = pageSize();
    private final Map<Integer, Entry> byPid;
    private final Map<Integer, List<Integer>> children = new HashMap<>();

    public ProcessTable(Map<Integer, Entry> byPid) {
        this.byPid = byPid;
        for (Entry e : byPid.values()) children.computeIfAbsent(e.ppid(), k -> new ArrayList<>()).add(e.pid());
    }

    /** Every process on the machine, one pass over /proc. Processes that vanish mid-scan are left out. */
    public static ProcessTable scan() throws IOException {
        Map<Integer, Entry> all = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path dir : dirs) {
                Entry e = read(Integer.parseInt(dir.getFileName().toString()));
                if (e != null) all.put(e.pid(), e);
            }
        }
        return new ProcessTable(all);
    }

    /** One process, or null when it is gone (or /proc cannot be read). */
    public static Entry read(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces or ')': fields follow the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new Entry(pid, Integer.parseInt(fields[1]), Long.parseLong(fields[21]) * PAGE_SIZE);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The direct children of a process, from /proc/PID/task/TID/children
     * (one small file per thread instead of a scan of every process), or
     * null when the kernel does not offer it or the process is gone.
     */
    public static Set<Integer> children(int pid) {
        Set<Integer> found = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path task : tasks) {
                for (String child : Files.readString(task.resolve("children")).trim().split(" ")) {
                    if (!child.isEmpty()) found.add(Integer.valueOf(child));
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return found;
    }

    public Entry get(int pid) { return byPid.get(pid); }

    /** RSS of the process and all its descendants, in bytes; 0 when the process is gone. */
    public long treeRss(int pid) {
        long sum = 0;
        Set<Integer> seen = new HashSet<>();
        ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(pid));
        while (!todo.isEmpty()) {
            int next = todo.pop();
            if (!seen.add(next)) continue; // pid reuse mid-scan could make a loop
            Entry e = byPid.get(next);
            if (e == null) continue;
            sum += e.rss();
            todo.addAll(children.getOrDefault(next, List.of()));
        }
        return sum;
    }

    /** The page size from the ELF auxiliary vector (AT_PAGESZ), 4096 when unreadable. */
    private static long pageSize() {
        try {
            ByteBuffer auxv = ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/self/auxv"))).order(ByteOrder.nativeOrder());
            while (auxv.remaining() >= 16) {
                long type = auxv.getLong(), value = auxv.getLong();
                if (type == 6) return value; // AT_PAGESZ
                if (type == 0) break;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a 32-bit layout: fall through
        }
        return 4096;
    }
}
