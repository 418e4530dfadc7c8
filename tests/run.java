///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION Runs every test of superlance-jbang: ./jbang tests/run.java [TestClass ...]
//DEPS org.junit.platform:junit-platform-launcher:1.14.1
//DEPS org.junit.jupiter:junit-jupiter-engine:5.14.1
//DEPS com.icegreen:greenmail:2.1.13
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES ../lib/*.java
//SOURCES ../memmon.java
//SOURCES ../crashmail.java
//SOURCES ../crashmailbatch.java
//SOURCES ../fatalmailbatch.java
//SOURCES ../crashsms.java
//SOURCES ../httpok.java
//SOURCES support/*.java
//SOURCES *Test.java
//JAVA_OPTIONS -Xlog:disable -Xlog:all=warning:stderr

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The test command: discovers the JUnit 5 tests compiled into this script
 * (all of tests/*Test.java), runs them, prints one line per test and ends
 * with "N passed, N failed". Exit status 0 only when tests ran and none failed.
 * Dependency versions of lib and the plugins come in through //SOURCES, so
 * each is written in one place only.
 */
class run {
    /**
     * Classes whose tests run programs (supervisord, the plugins through
     * ./jbang, JBang itself) and mostly wait on them. They share no port, file
     * or in-JVM state, so they run side by side, each class's tests in order.
     */
    static final String SIDE_BY_SIDE = ".*(E2ETest|ProtocolFuzzTest|DemoTest|LauncherTest|CatalogTest|ReadmeTest|CommandLinesTest)";
    static final int CLASSES_AT_ONCE = 3;
    static final List<String> PLUGINS = List.of("memmon", "httpok", "crashmail", "crashmailbatch", "fatalmailbatch", "crashsms");

    /**
     * What the end-to-end tests run, by command, and the Debian package that
     * has it: supervisord itself, a real Alertmanager and a real HTTP proxy.
     */
    static final java.util.Map<String, String> PACKAGES = new java.util.LinkedHashMap<>();

    static {
        PACKAGES.put("supervisord", "supervisor");
        PACKAGES.put("prometheus-alertmanager", "prometheus-alertmanager");
        PACKAGES.put("tinyproxy", "tinyproxy"); // a real HTTP proxy for the channels
        PACKAGES.put("python3", "python3"); // the tests' small servers and memory hogs
    }

    public static void main(String... args) throws Exception {
        if (args.length == 0 && !servers()) System.exit(1);
        // httpok sets this before its first request, so that a --header 'Host: ...' is sent; in this JVM other tests
        // make HTTP requests first, and the JDK reads it once, when its HTTP client is first used.
        System.setProperty("sun.net.http.allowRestrictedHeaders", "true");
        System.setProperty("jdk.http.auth.tunneling.disabledSchemes", ""); // lib/Http's, read once likewise
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (String name : args) selectors.add(selectClass(name));
        if (selectors.isEmpty()) {
            Path jar = Path.of(run.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            selectors.addAll(selectClasspathRoots(Set.of(jar)));
        }
        // First the in-JVM unit tests, one at a time (some point the log at a buffer, some time what they do);
        // then the classes that run programs, several at once.
        LauncherDiscoveryRequest unit = request(selectors, ClassNameFilter.excludeClassNamePatterns(SIDE_BY_SIDE), "same_thread", 8);
        LauncherDiscoveryRequest programs = request(selectors, ClassNameFilter.includeClassNamePatterns(SIDE_BY_SIDE), "concurrent",
                CLASSES_AT_ONCE);
        AtomicInteger passed = new AtomicInteger(), failed = new AtomicInteger(), skipped = new AtomicInteger();
        TestExecutionListener report = new TestExecutionListener() {
            private final java.util.Map<String, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

            @Override
            public void executionStarted(TestIdentifier id) {
                started.put(id.getUniqueId(), System.nanoTime());
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (!id.isTest()) return;
                skipped.incrementAndGet();
                System.out.printf("SKIP %s: %s%n", name(id), reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    if (id.isTest()) failed.incrementAndGet();
                    else if (result.getStatus() == TestExecutionResult.Status.FAILED) failed.incrementAndGet(); // a class that failed to set up
                    System.out.printf("FAIL %s (%d ms)%n", name(id), ms);
                    result.getThrowable().ifPresent(t -> t.printStackTrace(System.out));
                } else if (id.isTest()) {
                    passed.incrementAndGet();
                    System.out.printf("ok   %s (%d ms)%n", name(id), ms);
                }
            }

            private String name(TestIdentifier id) {
                String[] parts = id.getUniqueId().split("/");
                String cls = parts.length > 1 ? parts[1].replaceAll("^\\[class:|\\]$", "") : "";
                return cls + " > " + id.getDisplayName();
            }
        };
        long start = System.nanoTime();
        // The six plugins and the listener fixture are compiled once, before any test: tests that run them side
        // by side (ReadmeTest and ListenerE2ETest both run the fixture) must never find JBang building the same
        // script twice at once (it fails one of them).
        for (String plugin : PLUGINS) Repo.build(plugin + ".java");
        Repo.build("tests/fixtures/eventlog.java");
        LauncherFactory.create().execute(unit, report);
        LauncherFactory.create().execute(programs, report);
        List<String> leaks = leftBehind();
        for (String leak : leaks) System.out.println("LEFT RUNNING after the tests: " + leak);
        if (!leaks.isEmpty()) failed.incrementAndGet();
        System.out.printf("%d passed, %d failed%s in %d s%n", passed.get(), failed.get(),
                skipped.get() > 0 ? ", " + skipped.get() + " skipped" : "", (System.nanoTime() - start) / 1_000_000_000);
        System.exit(failed.get() == 0 && passed.get() > 0 ? 0 : 1);
    }

    /**
     * The servers the tests start are on this machine, or installed now
     * (as root, with apt-get, saying so, as the demo installs supervisord);
     * else one line per missing package with the command that installs it,
     * and false: a run of failing tests would say less.
     */
    static boolean servers() throws Exception {
        List<String> missing = missing();
        if (missing.isEmpty()) return true;
        boolean root = "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim());
        if (root && onPath("apt-get")) {
            System.err.println("tests/run.java: installing " + String.join(" ", missing) + " (Debian packages) for the end-to-end tests");
            List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq"));
            install.addAll(missing);
            if (apt(List.of("apt-get", "update", "-qq")) == 0) apt(install);
            missing = missing();
            if (missing.isEmpty()) return true;
        }
        for (String p : missing) {
            System.err.println("tests/run.java: the end-to-end tests need Debian's " + p + ": sudo apt-get install -y " + p);
        }
        return false;
    }

    /** An apt-get command, its output dropped (stdout is the tests' report), its errors shown. */
    private static int apt(List<String> command) throws Exception {
        ProcessBuilder apt = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        apt.environment().put("DEBIAN_FRONTEND", "noninteractive");
        return apt.start().waitFor();
    }

    private static List<String> missing() {
        List<String> missing = new ArrayList<>();
        PACKAGES.forEach((command, pkg) -> {
            if (!onPath(command)) missing.add(pkg);
        });
        return missing;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }

    /**
     * The tests the filter lets through, with classes run `classes`
     * (same_thread or concurrent) and each class's tests in order unless it
     * asks for @Execution(CONCURRENT); `threads` at most at once.
     */
    static LauncherDiscoveryRequest request(List<DiscoverySelector> selectors, ClassNameFilter filter, String classes, int threads) {
        return LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors)
                .filters(filter)
                .configurationParameter("junit.jupiter.execution.timeout.default", "5 m")
                .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                .configurationParameter("junit.jupiter.execution.parallel.mode.default", "same_thread")
                .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", classes)
                .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", String.valueOf(threads))
                .build();
    }

    /**
     * What a test started and did not stop: threads that would keep a JVM
     * alive or go on sending (an outbox's, though a daemon), and child
     * processes. Each test stops what it started; a moment is allowed for
     * what was stopped to end.
     */
    static List<String> leftBehind() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t == Thread.currentThread() || !t.isAlive()) continue;
                if (!t.isDaemon() || t.getName().endsWith("-outbox")) {
                    left.add("thread '" + t.getName() + "'" + (t.isDaemon() ? " (daemon)" : ""));
                }
            }
            ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                    .forEach(p -> left.add("process " + p.pid() + " " + p.info().commandLine().orElse("?")));
            if (left.isEmpty() || System.nanoTime() > deadline) return left;
            Thread.sleep(200);
        }
    }
}
