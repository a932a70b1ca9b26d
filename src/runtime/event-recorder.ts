import type { Logger } from "pino";
import { systemClock, type Clock } from "./clock.ts";
import type { KubeApi, KubeObject } from "./kube-client.ts";

export type EventType = "Normal" | "Warning";

/**
 * Records Kubernetes Events on transitions (the reason equals the condition reason). An event is
 * a write, so identical events for one object are coalesced for a while instead of repeated; a
 * failure to record is logged and never fails a reconcile.
 */
export class EventRecorder {
  readonly #client: KubeApi;
  readonly #component: string;
  readonly #log: Logger;
  readonly #recent = new Map<string, number>();
  readonly #coalesceMs = 10 * 60_000;
  readonly #clock: Clock;

  constructor(client: KubeApi, component: string, log: Logger, clock: Clock = systemClock) {
    this.#client = client;
    this.#component = component;
    this.#log = log;
    this.#clock = clock;
  }

  async record(
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const { namespace, name, uid } = object.metadata;
    // Events of a cluster-scoped object (a ServiceTemplate) live in `default`, as client-go puts them.
    const eventNamespace = namespace ?? "default";
    const dedupeKey = `${eventNamespace}/${name}/${type}/${reason}/${message}`;
    const since = this.#clock.monotonic();
    const last = this.#recent.get(dedupeKey);
    if (last !== undefined && since - last < this.#coalesceMs) return;
    this.#recent.set(dedupeKey, since);
    if (this.#recent.size > 10_000) this.#recent.clear();
    const time = new Date(this.#clock.now()).toISOString();
    try {
      await this.#client.create(`/api/v1/namespaces/${eventNamespace}/events`, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${name}.`, namespace: eventNamespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name,
          ...(namespace === undefined ? {} : { namespace }),
          uid,
          resourceVersion: object.metadata.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: process.env["HOSTNAME"] ?? this.#component,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
      });
    } catch (error) {
      this.#log.warn({ err: (error as Error).message, reason }, "Could not record event");
    }
  }
}
