import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** jbang-catalog.json: an alias per plugin, usable inside the repository and installable as a command. */
class CatalogTest {
    static final List<String> PLUGINS = List.of("httpok", "crashmail", "memmon", "crashmailbatch", "fatalmailbatch", "crashsms");

    @Test
    void everyPluginHasAnAliasWithADescription() throws Exception {
        Repo.Result list = Repo.run(List.of(Repo.launcher(), "alias", "list"));
        assertEquals(0, list.status(), list.err());
        for (String plugin : PLUGINS) {
            // "name", then its description, then its script, one per line.
            assertTrue(list.out().matches("(?s).*(^|\n)" + plugin + "\n   [^\n]*superlance " + plugin + "\\)\n   [^\n]*/" + plugin + "\\.java\n.*"),
                    plugin + ":\n" + list.out());
        }
    }

    @Test
    void aliasesRunInsideTheRepository() throws Exception {
        for (String plugin : PLUGINS) {
            Repo.Result help = Repo.run(List.of(Repo.launcher(), plugin, "--help"));
            assertEquals(0, help.status(), plugin + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: " + plugin + " "), help.out());
        }
    }

    @Test
    void appInstallMakesACommandThatRunsFromAnywhere() throws Exception {
        Path home = Files.createTempDirectory("home");
        try {
            // A throwaway HOME and JBANG_DIR, so the user's own installed commands are untouched.
            Map<String, String> env = new HashMap<>();
            env.put("HOME", home.toString());
            env.put("JBANG_DIR", home.resolve(".jbang").toString());
            // The launcher's cache as it is now, so the new HOME does not mean a new download.
            String cacheRoot = System.getenv().getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache");
            env.put("SUPERLANCE_JBANG_CACHE", System.getenv().getOrDefault("SUPERLANCE_JBANG_CACHE", cacheRoot + "/superlance-jbang"));
            // The installed command runs `jbang`: the repository's launcher serves, put first on PATH. With
            // JBANG_DIR/bin on PATH too, jbang sees no set-up to do and edits no shell start-up file (it would
            // edit those of the account's real home, whatever HOME says).
            env.put("PATH", home.resolve(".jbang/bin") + File.pathSeparator + Repo.ROOT + File.pathSeparator + System.getenv("PATH"));
            Repo.Result install = Repo.run(home, List.of(Repo.launcher(), "app", "install", "memmon@" + Repo.ROOT), env,
                    new byte[0], Duration.ofMinutes(3));
            assertEquals(0, install.status(), install.err());
            assertFalse(install.err().contains("setup completed"), "no shell start-up file edited: " + install.err());
            Path command = home.resolve(".jbang/bin/memmon");
            assertTrue(Files.isExecutable(command), install.err());

            Repo.Result run = Repo.run(home, List.of(command.toString(), "--version"), env, new byte[0], Duration.ofMinutes(3));
            assertEquals(0, run.status(), run.err());
            assertEquals("superlance-jbang 0.1.0\n", run.out());
            Repo.Result usage = Repo.run(home, List.of(command.toString(), "-p", "x=lots"), env, new byte[0], Duration.ofMinutes(3));
            assertEquals(2, usage.status(), "a usage error through the installed command: " + usage.err());
        } finally {
            Repo.deleteTree(home);
        }
    }
}
