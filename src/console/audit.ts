// Every console action (cancel, reschedule, bulk cancel, export) is recorded: one info log line
// `{"audit":{…}}`, a Kubernetes Event on each CallbackService it touched (as the operator records
// its own, src/runtime/event-recorder.ts), and the last entries in memory for GET /api/audit.
import type { Logger } from "pino";
import type { Clock } from "../runtime/clock.ts";
import type { EventRecorder } from "../runtime/event-recorder.ts";
import type { ConsoleService } from "./cluster.ts";
import { serviceKey } from "./permissions.ts";

/** The component the console's Events name (reportingComponent, source). */
export const consoleComponent = "callback-operator.io/console";
const MAX_ENTRIES = 1000;
/** Ids kept per entry of GET /api/audit (an export names up to 10,000). */
const IDS_KEPT = 250;
/** Ids named in one Event message; more are counted. */
const IDS_IN_MESSAGE = 20;

export const auditReasons = {
  cancel: "CallbackCancelled",
  reschedule: "CallbackRescheduled",
  bulkCancel: "CallbacksCancelled",
  export: "CallbacksExported",
} as const;
export type AuditAction = keyof typeof auditReasons;

export interface AuditEntry {
  readonly at: string;
  readonly user: string;
  readonly action: AuditAction;
  readonly service: string;
  readonly ids: readonly string[];
  readonly result: string;
}

function describe(entry: AuditEntry): string {
  const shown = entry.ids.slice(0, IDS_IN_MESSAGE).join(", ");
  const more =
    entry.ids.length > IDS_IN_MESSAGE ? ` and ${entry.ids.length - IDS_IN_MESSAGE} more` : "";
  const what = {
    cancel: "cancelled callback",
    reschedule: "rescheduled callback",
    bulkCancel: "cancelled callbacks",
    export: "exported callbacks",
  }[entry.action];
  const ids = entry.ids.length === 0 ? "" : ` ${shown}${more}`;
  return `User ${entry.user} ${what}${ids} in the console: ${entry.result}`;
}

export class Audit {
  readonly #entries: AuditEntry[] = [];
  readonly #log: Logger;
  readonly #events: EventRecorder | undefined;
  readonly #clock: Clock;

  constructor(log: Logger, events: EventRecorder | undefined, clock: Clock) {
    this.#log = log;
    this.#events = events;
    this.#clock = clock;
  }

  /** Records one action on one service; the Event is written before this resolves. */
  async record(
    user: string,
    action: AuditAction,
    service: ConsoleService,
    ids: readonly string[],
    result: string,
  ): Promise<void> {
    const entry: AuditEntry = {
      at: new Date(this.#clock.now()).toISOString(),
      user,
      action,
      service: serviceKey(service),
      ids,
      result,
    };
    // The log line names every id, the Event the first 20; GET /api/audit keeps IDS_KEPT per entry.
    this.#entries.push(
      ids.length > IDS_KEPT
        ? {
            ...entry,
            ids: ids.slice(0, IDS_KEPT),
            result: `${result} (${ids.length} ids, first ${IDS_KEPT} kept)`,
          }
        : entry,
    );
    if (this.#entries.length > MAX_ENTRIES) this.#entries.shift();
    this.#log.info({ audit: entry }, "Audit");
    await this.#events?.record(service.object, "Normal", auditReasons[action], describe(entry));
  }

  /** The newest entries first, of the services `visible` accepts. */
  entries(visible: (service: string) => boolean): AuditEntry[] {
    return this.#entries.filter((entry) => visible(entry.service)).reverse();
  }
}
