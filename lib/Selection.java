package lib;

import java.util.List;
import java.util.Map;

/**
 * Which processes a plugin acts on: -p specs and -a. A spec matches a bare
 * process name, a group:name namespec, group:* or a group name (so that
 * `-p app` covers numprocs programs app_00, app_01 of group app).
 * The listener running this code is never selected, not even by -a;
 * other event listener pools count as ordinary processes.
 */
public final class Selection {
    private final List<String> specs;
    private final boolean any;
    private final String selfGroup;
    private final String selfName;

    public Selection(List<String> specs, boolean any, Map<String, String> env) {
        this.specs = List.copyOf(specs);
        this.any = any;
        this.selfGroup = env.getOrDefault("SUPERVISOR_GROUP_NAME", "");
        this.selfName = env.getOrDefault("SUPERVISOR_PROCESS_NAME", "");
    }

    public static String namespec(String group, String name) {
        return group == null || group.isEmpty() ? name : group + ":" + name;
    }

    public static boolean matches(String spec, String group, String name) {
        return spec.equals(name) || spec.equals(namespec(group, name)) || spec.equals(group) || spec.equals(group + ":*");
    }

    public boolean isSelf(String group, String name) {
        return !selfName.isEmpty() && selfName.equals(name) && selfGroup.equals(group);
    }

    public boolean includes(String group, String name) {
        if (isSelf(group, name)) return false;
        return any || specs.stream().anyMatch(spec -> matches(spec, group, name));
    }

    public boolean includes(ProcessInfo p) { return includes(p.group(), p.name()); }

    public boolean any() { return any; }

    public List<String> specs() { return specs; }
}
