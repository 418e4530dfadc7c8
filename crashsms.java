///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/*.java
//DESCRIPTION crashsms: short batched crash alerts for an email-to-SMS gateway. Drop-in for superlance's crashsms.
//JAVA_OPTIONS -XX:+UseSerialGC -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=60000 -XX:TrimNativeHeapInterval=60000 -Xms4m -Xmn1m -Xmx32m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -Xss512k -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
import lib.Postmortem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * crashsms, subscribed to PROCESS_STATE_EXITED and a TICK: like
 * crashmailbatch, but each line is short and the whole body is cut to fit
 * one SMS; the crashes that do not fit are counted ("+3 more").
 *
 *   [eventlistener:crashsms]
 *   command=jbang crashsms.java -t 5551234567@sms.example.net -f supervisord@example.com -e TICK_5
 *   events=PROCESS_STATE_EXITED,TICK_5
 */
@Command(name = "crashsms", mixinStandardHelpOptions = true, version = Cli.VERSION, sortOptions = false,
        description = {"Collects unexpected exits (PROCESS_STATE_EXITED, expected:0) and mails them once per interval "
                + "to an email-to-SMS gateway (-t 5551234567@sms.example.net).",
                "The body is kept to " + crashsms.MAX_BODY + " characters, one SMS: lines that do not fit are counted, "
                        + "not listed. No subject unless -s gives one. With --log-lines N, the end of the logs fills what room is left.", ""})
class crashsms implements Callable<Integer> {
    static final int MAX_BODY = 160;

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
        System.exit(Cli.execute(new crashsms(), args));
    }

    @Override
    public Integer call() throws IOException {
        BatchMailer mailer = options.mailer(spec, mailOptions, channelOptions, "crashsms", "", Alert.Kind.CRASH, crashsms::body,
                System.getenv());
        if (channelOptions.testAlert()) return mailer.testAlert("crashsms");
        return mailer.recovering(recovery, System.getenv(), new History())
                .serve(event -> line(event, System.currentTimeMillis()), crashsms::recoveryLine);
    }

    /** "[GROUP:NAME](PID) exited unexpectedly <asctime>", or null for any other event. */
    static String line(Event event, long now) {
        if (!event.name().equals("PROCESS_STATE_EXITED") || event.expected()) return null;
        return "[" + event.groupName() + ":" + event.processName() + "](" + event.pid() + ") exited unexpectedly "
                + Log.asctime(now);
    }

    /** As many lines as fit in MAX_BODY characters (crashes, then recoveries), then "+N more" for the rest. */
    static String body(Batch.Lines batch) {
        StringBuilder body = new StringBuilder();
        List<String> all = new ArrayList<>(batch.lines());
        all.addAll(batch.recoveries());
        long left = batch.folded() + all.size();
        for (String line : all) {
            String more = left > 1 ? "+" + (left - 1) + " more" : "";
            if (body.length() + line.length() + 1 + more.length() > MAX_BODY) {
                if (body.length() == 0) { // one long name: cut it rather than send no name at all
                    body.append(line, 0, MAX_BODY - more.length() - 1).append('\n');
                    left--;
                }
                break;
            }
            body.append(line).append('\n');
            left--;
        }
        if (left > 0) body.append('+').append(left).append(" more");
        // With --log-lines N: the end of the logs, as much as still fits (the last lines first to go).
        for (Postmortem.Report report : batch.reports().values()) {
            for (String line : report.lines()) {
                String newline = body.length() == 0 || body.charAt(body.length() - 1) == '\n' ? "" : "\n";
                int room = MAX_BODY - body.length() - newline.length();
                if (room < 8) return body.toString(); // too little left to say anything
                body.append(newline).append(line, 0, Math.min(line.length(), room));
            }
        }
        return body.toString();
    }

    /** "[GROUP:NAME] running again after 7 crashes in 12m" (--recovery): short, as the crash lines. */
    static String recoveryLine(String namespec, String again) {
        return "[" + namespec + "] " + again;
    }
}
