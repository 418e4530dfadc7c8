import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole memmon end-to-end suite once more, reading memory through OSHI
 * (--memory-source oshi), as memmon does where there is no /proc (macOS,
 * FreeBSD). On Linux both sources can be run and compared.
 */
class MemmonOshiE2ETest extends MemmonE2ETest {
    @Override
    String memorySource() { return " --memory-source oshi"; }

    @Override
    void checkLog(String log) {
        assertTrue(log.contains("; memory from OSHI (RSS);"), "memmon said where it reads memory:\n" + log);
    }
}
