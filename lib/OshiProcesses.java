//DEPS com.github.oshi:oshi-core:6.8.2
package lib;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import oshi.SystemInfo;
import oshi.software.os.OSProcess;
import oshi.software.os.OperatingSystem;

/**
 * Process memory through OSHI, for systems without /proc (macOS, FreeBSD,
 * OpenBSD, Solaris, AIX). Only ProcessMemory refers to this class, and only
 * when OSHI is the source, so that on Linux neither OSHI nor JNA is loaded.
 */
final class OshiProcesses {
    private OshiProcesses() {}

    /** Made on first use: it loads JNA and the platform's native bindings. */
    private static final class Os {
        static final OperatingSystem OS = new SystemInfo().getOperatingSystem();
    }

    static ProcessTable.Entry read(int pid) {
        OSProcess p = Os.OS.getProcess(pid);
        return p == null || p.getState() == OSProcess.State.INVALID ? null : entry(p);
    }

    static ProcessTable scan() {
        Map<Integer, ProcessTable.Entry> all = new HashMap<>();
        for (OSProcess p : Os.OS.getProcesses()) all.put(p.getProcessID(), entry(p));
        return new ProcessTable(all);
    }

    static Set<Integer> children(int pid) {
        Set<Integer> found = new HashSet<>();
        for (OSProcess p : Os.OS.getChildProcesses(pid, null, null, 0)) found.add(p.getProcessID());
        return found;
    }

    private static ProcessTable.Entry entry(OSProcess p) {
        return new ProcessTable.Entry(p.getProcessID(), p.getParentProcessID(), p.getResidentSetSize());
    }
}
