import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lib.ProcessMemory;
import lib.ProcessTable;
import org.junit.jupiter.api.Test;

/** /proc and OSHI give the same RSS for the same processes (within 5%), single processes and -c trees alike. */
class ProcessMemoryTest {
    private static final ProcessMemory PROC = new ProcessMemory(ProcessMemory.Source.PROC);
    private static final ProcessMemory OSHI = new ProcessMemory(ProcessMemory.Source.OSHI);

    private static void assertClose(long a, long b, String what) {
        assertTrue(a > 0 && b > 0 && Math.abs(a - b) <= 0.05 * Math.max(a, b), what + ": /proc " + a + " bytes, OSHI " + b + " bytes");
    }

    @Test
    void bothSourcesAgreeOnSingleProcessesAndTrees() throws Exception {
        // A tree whose memory holds still: a shell with two python3 children, 40 and 20 MB touched each.
        // Each child says "ready" only once its bytes are all written, so neither is still growing while
        // the two sources are read one after the other (waiting on an RSS threshold raced the memset).
        String hog = "import time; b = bytearray(%d * 1024 * 1024); print('ready', flush=True); time.sleep(120)";
        Process tree = new ProcessBuilder("/bin/sh", "-c", "python3 -c \"" + hog.formatted(40) + "\" & python3 -c \"" + hog.formatted(20) + "\" & wait")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            int root = (int) tree.pid();
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(tree.getInputStream()));
            for (int i = 0; i < 2; i++) assertEquals("ready", out.readLine(), "child " + (i + 1) + " of 2 allocated its memory");
            assertEquals(2, PROC.children(root).size(), "both children of the shell");
            assertEquals(PROC.children(root), OSHI.children(root));
            for (int pid : PROC.children(root)) assertClose(PROC.read(pid).rss(), OSHI.read(pid).rss(), "pid " + pid);
            ProcessTable procAll = PROC.scan(), oshiAll = OSHI.scan();
            assertClose(procAll.treeRss(root), oshiAll.treeRss(root), "the tree of " + root);
            assertTrue(procAll.treeRss(root) > 60L << 20, "the tree holds both children: " + procAll.treeRss(root));
            assertEquals(null, OSHI.read(Integer.MAX_VALUE - 1), "a process that is gone");
        } finally {
            tree.descendants().forEach(ProcessHandle::destroyForcibly);
            tree.destroyForcibly().waitFor();
            for (ProcessHandle h : List.copyOf(tree.descendants().toList())) h.destroyForcibly();
        }
    }

    @Test
    void pssIsWhatTheKernelsOwnPssLinesSayForTheSamePids() throws Exception {
        // A parent holding 30 MB that forks two children sharing it: their PSS splits those pages three ways.
        String code = "import os, time\nb = b'a' * (30 << 20)\nfor i in range(2):\n    if os.fork() == 0:\n        time.sleep(120)\n"
                + "print('ready', flush=True)\ntime.sleep(120)\n";
        Process tree = new ProcessBuilder("python3", "-c", code).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertEquals("ready", new java.io.BufferedReader(new java.io.InputStreamReader(tree.getInputStream())).readLine());
            int root = (int) tree.pid();
            Repo.await("two children", java.time.Duration.ofSeconds(10), () -> PROC.children(root).size() == 2);
            long rssSum = 0, pssSum = 0;
            for (int pid : PROC.scan().tree(root)) {
                long kernel = 0; // the kernel's per-mapping Pss lines, added up here: another path than smaps_rollup
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/smaps"))) {
                    if (line.startsWith("Pss:")) kernel += Long.parseLong(line.replaceAll("\\D", "")) << 10;
                }
                long rss = ProcessTable.read(pid).rss(), pss = lib.MemoryMeasure.PSS.of(pid, rss, false);
                assertTrue(Math.abs(pss - kernel) <= Math.max(64 << 10, kernel / 50), "pid " + pid + ": " + pss + " vs the kernel's " + kernel);
                rssSum += rss;
                pssSum += pss;
            }
            assertTrue(rssSum > 90L << 20, "RSS counts the 30 MB in each of the three: " + rssSum);
            assertTrue(pssSum < 60L << 20 && pssSum > 30L << 20, "PSS counts them once: " + pssSum);
        } finally {
            tree.descendants().forEach(ProcessHandle::destroyForcibly);
            tree.destroyForcibly().waitFor();
        }
    }

    @Test
    void theSourceIsProcOnLinuxAndNamedCheckedOnTheCommandLine() {
        assertEquals(ProcessMemory.Source.PROC, ProcessMemory.defaultSource());
        assertEquals(ProcessMemory.Source.OSHI, ProcessMemory.parse("OSHI"));
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-a", "1GB", "--memory-source", "ps"));
    }
}
