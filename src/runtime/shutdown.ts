// One way for the servers (callback-api, its entry point, the console) to stop on SIGTERM or
// SIGINT: a pod gets 30 s after SIGTERM (the default terminationGracePeriodSeconds), so the steps
// get 25 s, then the process exits with 1 on its own rather than being killed mid-write.
import type { Logger } from "pino";

const SHUTDOWN_GRACE_MS = 25_000;

/** Runs `stop` once on the first SIGTERM or SIGINT, logging its start and end. */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "Shutting down");
    const force = setTimeout(() => {
      log.error("Shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    await stop();
    log.info("Stopped");
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void shutdown(signal);
    });
  }
}
