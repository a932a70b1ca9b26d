// A Dispatcher over a test store and app: the app's clock and options, a silent log, a test id.
import { pino } from "pino";
import { Dispatcher } from "../../../src/callback-api/dispatcher.ts";
import { Metrics } from "../../../src/callback-api/metrics.ts";
import type { TestApp } from "./app.ts";
import type { TestStore } from "./databases.ts";

export function dispatcherFor(
  t: TestStore,
  a: TestApp,
  extra: Partial<ConstructorParameters<typeof Dispatcher>[0]> = {},
): Dispatcher {
  return new Dispatcher({
    store: t.store,
    clock: a.clock,
    options: a.options,
    log: pino({ level: "silent" }),
    metrics: new Metrics(),
    workerId: "test-worker",
    maxAttempts: 3,
    ...extra,
  });
}
