import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The operator's Prometheus metrics, named as controller-runtime names them so that existing
 * dashboards and alerts for Go operators work unchanged.
 */
export function createMetrics(controller: string) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = { controller };
  const reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const terminalErrors = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller (the spec must change)",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const reconcileTime = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const maxConcurrent = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"] as const,
    registers: [registry],
  });
  const queueLabels = { name: controller };
  const depth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  const queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames: ["name"] as const,
    buckets: [0.001, 0.01, 0.1, 1, 10, 100],
    registers: [registry],
  });
  const restRequests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests to the Kubernetes API, partitioned by status code and method",
    labelNames: ["code", "method"] as const,
    registers: [registry],
  });
  const leader = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  const watchRestarts = new Counter({
    name: "callback_operator_watch_restarts_total",
    help: "Watch streams restarted, by informer and reason (error, gone = 410 relist, stalled = watchdog)",
    labelNames: ["informer", "reason"] as const,
    registers: [registry],
  });

  const relists = new Counter({
    name: "callback_operator_relists_total",
    help: "Full lists by informer: the first sync, and every relist after a 410 Gone or a stalled watch",
    labelNames: ["informer"] as const,
    registers: [registry],
  });
  const relistDeletions = new Counter({
    name: "callback_operator_relist_deletions_total",
    help: "Cached objects a relist found deleted while no watch was open (delete events synthesised)",
    labelNames: ["informer"] as const,
    registers: [registry],
  });

  return {
    registry,
    reconciled(result: "success" | "error" | "requeue" | "requeue_after", seconds: number): void {
      reconcileTotal.inc({ ...labels, result });
      reconcileTime.observe(labels, seconds);
      if (result === "error") reconcileErrors.inc(labels);
    },
    terminalError(): void {
      terminalErrors.inc(labels);
    },
    workers(max: number, active: number): void {
      maxConcurrent.set(labels, max);
      activeWorkers.set(labels, active);
    },
    queueHooks: {
      add: () => {
        adds.inc(queueLabels);
      },
      retry: () => {
        retries.inc(queueLabels);
      },
      depth: (value: number) => {
        depth.set(queueLabels, value);
      },
      queued: (seconds: number) => {
        queueDuration.observe(queueLabels, seconds);
      },
    },
    request(method: string, code: number): void {
      restRequests.inc({ method, code: String(code) });
    },
    leading(name: string, isLeader: boolean): void {
      leader.set({ name }, isLeader ? 1 : 0);
    },
    watchRestarted(informer: string, reason: string): void {
      watchRestarts.inc({ informer, reason });
    },
    relisted(informer: string, deleted: number): void {
      relists.inc({ informer });
      relistDeletions.inc({ informer }, deleted);
    },
  };
}
