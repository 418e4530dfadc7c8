package lib;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/** The thread that cuts a call (HTTP, supervisord's RPC) running past its deadline. */
final class Watchdog {
    private Watchdog() {}

    /**
     * A daemon thread for timeouts. A call that ends in time cancels its
     * timeout, and the cancelled timeout leaves the queue at once: left in,
     * it would wake the thread when it came due, long after the call (one
     * wake-up per check or RPC call while nothing else is happening).
     */
    static ScheduledExecutorService start(String name) {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, name);
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
