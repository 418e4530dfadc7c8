import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import lib.MemoryMeasure;
import org.junit.jupiter.api.Test;

/** memmon's measures on recorded /proc texts (a 6.x smaps_rollup, a 3.x smaps without SwapPss), and the options. */
class MemoryMeasureTest {
    /** /proc/PID/smaps_rollup as Linux 6.18 writes it: Pss_* lines must not count into Pss. */
    static final String ROLLUP = """
            5567c67e9000-7ffc9c6fb000 ---p 00000000 00:00 0                          [rollup]
            Rss:                1720 kB
            Pss:                 205 kB
            Pss_Dirty:           116 kB
            Pss_Anon:            116 kB
            Pss_File:             89 kB
            Pss_Shmem:             0 kB
            Shared_Clean:       1564 kB
            Shared_Dirty:          0 kB
            Private_Clean:        40 kB
            Private_Dirty:       116 kB
            Referenced:         1720 kB
            Anonymous:           116 kB
            KSM:                   0 kB
            LazyFree:              0 kB
            AnonHugePages:         0 kB
            Shared_Hugetlb:        0 kB
            Private_Hugetlb:       0 kB
            Swap:                 64 kB
            SwapPss:              32 kB
            Locked:                0 kB
            """;

    /** /proc/PID/smaps of an older kernel (no smaps_rollup before 4.14, no SwapPss before 4.3): two mappings, summed. */
    static final String SMAPS_3X = """
            00400000-0040b000 r-xp 00000000 08:01 1048602                            /bin/cat
            Size:                 44 kB
            Rss:                  20 kB
            Pss:                  10 kB
            Shared_Clean:         20 kB
            Shared_Dirty:          0 kB
            Private_Clean:         0 kB
            Private_Dirty:         0 kB
            Referenced:           20 kB
            Anonymous:             0 kB
            AnonHugePages:         0 kB
            Swap:                  0 kB
            KernelPageSize:        4 kB
            MMUPageSize:           4 kB
            Locked:                0 kB
            VmFlags: rd ex mr mw me dw
            01d8e000-01daf000 rw-p 00000000 00:00 0                                  [heap]
            Size:                132 kB
            Rss:                   8 kB
            Pss:                   8 kB
            Shared_Clean:          0 kB
            Shared_Dirty:          0 kB
            Private_Clean:         0 kB
            Private_Dirty:         8 kB
            Referenced:            8 kB
            Anonymous:             8 kB
            AnonHugePages:         0 kB
            Swap:                 12 kB
            KernelPageSize:        4 kB
            MMUPageSize:           4 kB
            Locked:                0 kB
            VmFlags: rd wr mr mw me ac
            """;

    @Test
    void rollupAndOldSmapsAreSummedAsTheKernelMeansThem() {
        assertEquals(new MemoryMeasure.Smaps(1720 << 10, 205 << 10, 156 << 10, 64 << 10, 32 << 10), MemoryMeasure.parseSmaps(ROLLUP));
        assertEquals(new MemoryMeasure.Smaps(28 << 10, 18 << 10, 8 << 10, 12 << 10, 0), MemoryMeasure.parseSmaps(SMAPS_3X),
                "Size, KernelPageSize and VmFlags are not memory used; KernelPageSize is no Pss");
        assertEquals(new MemoryMeasure.Smaps(0, 0, 0, 0, 0), MemoryMeasure.parseSmaps(""));
    }

    @Test
    void thisProcessMeasuredThreeWays() throws Exception {
        int pid = (int) ProcessHandle.current().pid();
        long rss = lib.ProcessTable.read(pid).rss();
        long pss = MemoryMeasure.PSS.of(pid, rss, false), uss = MemoryMeasure.USS.of(pid, rss, false);
        assertTrue(uss > 0 && uss <= pss && pss <= rss * 11 / 10, "USS " + uss + " <= PSS " + pss + " <= RSS " + rss);
        assertEquals(rss, MemoryMeasure.RSS.of(pid, rss, false), "RSS is what /proc/PID/stat said");
        assertTrue(MemoryMeasure.RSS.of(pid, rss, true) >= rss, "with swap: VmSwap added");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> MemoryMeasure.PSS.of(Integer.MAX_VALUE - 1, 0, false));
        assertEquals(MemoryMeasure.USS, MemoryMeasure.parse("USS"));
        assertThrows(IllegalArgumentException.class, () -> MemoryMeasure.parse("vss"));
    }

    @Test
    void theOptionsAreCheckedAtStart() {
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-a", "1GB", "--measure", "vsz"));
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-a", "1GB", "--measure", "pss", "--memory-source", "oshi"),
                "OSHI knows no PSS: refused, naming the platform");
        assertEquals(2, AlertsTest.exitStatus(new memmon(), "-a", "1GB", "--with-swap", "--memory-source", "oshi"));
    }
}
