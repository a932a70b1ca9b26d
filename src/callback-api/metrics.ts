// Prometheus metrics of one app instance. A registry per instance (not prom-client's global one),
// so several apps in one process, as in tests, do not collide.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "callback_api_http_requests_total",
    help: "HTTP requests answered, by route and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly callbacksCreated = new Counter({
    name: "callback_api_callbacks_created_total",
    help: "Callbacks accepted, by kind (immediate or scheduled).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly callbacksRejected = new Counter({
    name: "callback_api_callbacks_rejected_total",
    help: "Start requests refused, by GMS exception name.",
    labelNames: ["exception"] as const,
    registers: [this.registry],
  });
  readonly dispatches = new Counter({
    name: "callback_api_dispatch_total",
    help: "Dispatch attempts to _ors, by outcome (delivered, retry, failed, lost).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly dispatchDuration = new Histogram({
    name: "callback_api_dispatch_duration_seconds",
    help: "Time of one POST to an _ors URL.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry });
  }
}
