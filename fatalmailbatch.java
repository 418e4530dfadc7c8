///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//DESCRIPTION fatalmailbatch: one mail per interval listing the supervisord programs that could not be started (FATAL). Drop-in for superlance's fatalmailbatch.
//JAVA_OPTIONS -XX:+UseSerialGC -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=60000 -XX:TrimNativeHeapInterval=60000 -Xms4m -Xmn1m -Xmx32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss512k -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr

import java.io.IOException;
import java.util.concurrent.Callable;
import lib.Alert;
import lib.Batch;
import lib.BatchMailer;
import lib.BatchOptions;
import lib.ChannelOptions;
import lib.Cli;
import lib.Event;
import lib.History;
import lib.Log;
import lib.MailOptions;
import lib.RecoveryOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * fatalmailbatch, subscribed to PROCESS_STATE_FATAL and a TICK: each
 * process that gave up starting becomes a line; one mail per interval
 * carries them all.
 * A mail that cannot be sent is kept and retried, and sent at exit.
 *
 *   [eventlistener:fatalmailbatch]
 *   command=jbang fatalmailbatch.java -t ops@example.com -f supervisord@example.com
 *   events=PROCESS_STATE_FATAL,TICK_60
 */
@Command(name = "fatalmailbatch", mixinStandardHelpOptions = true, version = Cli.VERSION, sortOptions = false,
        description = {"Collects the programs that failed to start too many times (PROCESS_STATE_FATAL) and mails them once per interval.", ""})
class fatalmailbatch implements Callable<Integer> {
    @Mixin
    BatchOptions options = new BatchOptions();

    @Mixin
    RecoveryOptions recovery = new RecoveryOptions();

    @Mixin
    MailOptions mailOptions = new MailOptions();

    @Mixin
    ChannelOptions channelOptions = new ChannelOptions();

    @Spec
    CommandSpec spec;

    public static void main(String... args) {
        System.exit(Cli.execute(new fatalmailbatch(), args));
    }

    @Override
    public Integer call() throws IOException {
        BatchMailer mailer = options.mailer(spec, mailOptions, channelOptions, "fatalmailbatch", "Fatal start alert from supervisord",
                Alert.Kind.FATAL, Batch.Lines::text, System.getenv());
        if (channelOptions.testAlert()) return mailer.testAlert("fatalmailbatch");
        return mailer.recovering(recovery, System.getenv(), new History())
                .serve(event -> line(event, System.currentTimeMillis()), (namespec, again) -> recoveryLine(namespec, again, System.currentTimeMillis()));
    }

    /** "<asctime> -- Process GROUP:NAME failed to start too many times", or null for any other event. */
    static String line(Event event, long now) {
        if (!event.name().equals("PROCESS_STATE_FATAL")) return null;
        return Log.asctime(now) + " -- Process " + event.groupName() + ":" + event.processName()
                + " failed to start too many times";
    }

    /** "<asctime> -- Process GROUP:NAME running again after 1 FATAL start in 12m" (--recovery). */
    static String recoveryLine(String namespec, String again, long now) {
        return Log.asctime(now) + " -- Process " + namespec + " " + again;
    }
}
