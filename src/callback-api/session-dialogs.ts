// What GMS clients ask of one callback by its id alone: the dialog continuation
// `GET /genesys/1/service/{_id}/{_action}` (gms-reference-2.md §4.3, the Android demo's
// CallbackApiManager) and `GET /genesys/1/service/{_id}/check-queue-position` (§4.4). Only the
// callbacks of this server's service answer; any other id is not found (ADR 0050, ADR 0111).
import { accessProperties, bookAccess, dialNumberDialog } from "./access-numbers.ts";
import { confirmationDialog, type CallbackServiceDeps } from "./callback-service.ts";
import { DELIVERED_REASON } from "./dispatcher.ts";
import { badRequest, notFound } from "./errors.ts";
import type { CallbackRow, StoreQueries } from "./store.ts";

/** The dialogs a continuation can ask for, by their GMS `_action`. */
export const DIALOG_ACTIONS = ["DialNumber", "ConfirmationDialog"] as const;

/** The answer of check-queue-position: strings and a boolean, as GMS's mobile clients decode it. */
export interface QueuePosition {
  readonly _position: string;
  readonly _eta: string;
  readonly _total_waiting: string;
  readonly _agent_ready_threshold_passed: boolean;
}

/** How far back completed callbacks inform `_eta`. */
const ETA_SAMPLE_MS = 3_600_000;

export class SessionDialogs {
  readonly #deps: CallbackServiceDeps;

  constructor(deps: CallbackServiceDeps) {
    this.#deps = deps;
  }

  /**
   * This service's callback, still open: not COMPLETED, or COMPLETED only by its hand-over to the
   * orchestration (`ROUTED`), which now owns the session and waits for the customer or an agent.
   * Any other service's id is not found, never forbidden.
   */
  async #open(tx: StoreQueries, id: string, forUpdate: boolean): Promise<CallbackRow> {
    const serviceName = this.#deps.options().serviceName;
    const row = forUpdate ? await tx.getForUpdate(id) : await tx.getById(id);
    if (row?.serviceName !== serviceName)
      throw notFound(`Callback ${id} is not found in service ${serviceName}.`);
    if (row.state === "COMPLETED" && row.reason !== DELIVERED_REASON) {
      throw badRequest(
        `Callback ${id} is already COMPLETED (${row.reason ?? "no reason"}); it has no dialog and no queue position.`,
      );
    }
    return row;
  }

  /**
   * The next dialog of a callback. `DialNumber` books an access number (again) for a
   * user-originated callback, at most `_userorig_connect_limit` times per callback, the start's
   * DialNumber included; `ConfirmationDialog` repeats the start's confirmation.
   */
  async continueDialog(id: string, action: string): Promise<Record<string, string>> {
    const options = this.#deps.options();
    const now = this.#deps.clock.now();
    if (action === "ConfirmationDialog") {
      return confirmationDialog(await this.#open(this.#deps.store, id, false));
    }
    if (action !== "DialNumber") {
      throw notFound(
        `No dialog ${JSON.stringify(action.slice(0, 64))} for callback ${id}: expected ${DIALOG_ACTIONS.join(", ")} or check-queue-position.`,
      );
    }
    if (options._call_direction !== "USERORIGINATED") {
      throw badRequest(
        `Callback ${id} belongs to a ${options._call_direction} service: the contact center calls the customer, there is no number to dial. Check option _call_direction`,
      );
    }
    const locks = [{ rule: "access-numbers" } as const];
    return this.#deps.store.inRuleTransaction(options.serviceName, locks, async (tx) => {
      const row = await this.#open(tx, id, true);
      const connects = Number(row.properties["_userorig_connect_count"] ?? "0") || 0;
      if (connects >= options._userorig_connect_limit) {
        throw badRequest(
          `Callback ${id} was given a number to dial ${connects} times; _userorig_connect_limit allows ${options._userorig_connect_limit}. Check option _userorig_connect_limit`,
        );
      }
      const access = await bookAccess(tx, options, id, now);
      const properties = { ...row.properties, ...accessProperties(access, connects + 1) };
      if (access.code === undefined) delete properties["_access_code"];
      await tx.setProperties(id, properties, now);
      return dialNumberDialog(id, access, options, now);
    });
  }

  /**
   * GMS check-queue-position. Waiting (QUEUED, ROUTING): the place among the service's waiting
   * callbacks and an estimate from the last hour; SCHEDULED: not in the queue yet, `_eta` is the
   * time to its desired time; PROCESSING, or handed over to the orchestration: out of the queue,
   * on its way to an agent (threshold passed).
   */
  async queuePosition(id: string): Promise<QueuePosition> {
    const now = this.#deps.clock.now();
    const store = this.#deps.store;
    const row = await this.#open(store, id, false);
    const { position, waiting } = await store.queuePosition(row);
    const answer = (place: number, eta: number, ready: boolean): QueuePosition => ({
      _position: String(place),
      _eta: String(eta),
      _total_waiting: String(waiting),
      _agent_ready_threshold_passed: ready,
    });
    switch (row.state) {
      case "SCHEDULED":
        return answer(0, Math.max(0, Math.ceil((row.desiredTime - now) / 1000)), false);
      case "PROCESSING":
      case "COMPLETED": // handed over (ROUTED): out of this queue, on its way to an agent
        return answer(0, 0, true);
      default: {
        const average = await store.averageWaitSeconds(row.serviceName, now - ETA_SAMPLE_MS);
        // No callback of the last hour to learn from: -1, "no estimate".
        return answer(position, average === undefined ? -1 : Math.round(average * position), false);
      }
    }
  }
}
