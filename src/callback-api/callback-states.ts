// Who may move a callback from which state to which: the one table behind every `_callback_state`
// a client sends (docs/callback-api.md, "States"). The dispatcher's own moves (promote due
// callbacks, claim, finish, retry, release an expired claim) are statements in store.ts, not
// requests, and are listed in the document beside this table.
import type { CallbackState } from "./store.ts";

/**
 * A `_callback_reason` (GMS's completion reasons: ROUTED, FAIL_ERROR, CANCELLED, ...): upper-case
 * letters, digits and `_`, at most 64. The one rule for a reason a client reports, an admin cancel
 * names, or an `_ors` receiver answers with.
 */
export function isCallbackReason(reason: string): boolean {
  return /^[A-Z][A-Z0-9_]{0,63}$/.test(reason);
}

/**
 * Who sends a `_callback_state`: a client holding the service's (or the admin's) credentials, or
 * the ORS session that owns a handed-off record (one with an `_ors_session_id`, ADR 0103). The
 * session calls back with the same credentials, so the record decides: every PUT on a handed-off
 * record is taken as the session's report.
 */
export type Reporter = "client" | "ors-session";

/**
 * The states a reporter may set, by the state the record is in. Never ROUTING (the dispatcher's
 * claim), never QUEUED or SCHEDULED (only `_new_desired_time` reschedules, under the queue cap and
 * the bucket), nothing once COMPLETED. PROCESSING is a report about a callback that is already
 * counted as queued, so it cannot slip past the queue cap; a SCHEDULED callback is not yet due, and
 * a ROUTING one is being handed over by the dispatcher, whose answer decides its outcome.
 */
export const REPORTABLE: Readonly<
  Record<Reporter, Readonly<Record<CallbackState, readonly CallbackState[]>>>
> = {
  client: {
    SCHEDULED: ["COMPLETED"],
    QUEUED: ["PROCESSING", "COMPLETED"],
    ROUTING: ["COMPLETED"],
    PROCESSING: ["PROCESSING", "COMPLETED"],
    COMPLETED: [],
  },
  // GMS: QUEUED while the session waits in the virtual queue, ROUTING once a target is reserved,
  // PROCESSING while connected, then COMPLETED (gms-reference-2.md §5.3). The session is the one
  // that routes, so ROUTING is its to report here, never the dispatcher's claim (the record is not
  // claimed again once handed off).
  "ors-session": {
    SCHEDULED: ["COMPLETED"],
    QUEUED: ["ROUTING", "PROCESSING", "COMPLETED"],
    ROUTING: ["ROUTING", "PROCESSING", "COMPLETED"],
    PROCESSING: ["PROCESSING", "COMPLETED"],
    COMPLETED: [],
  },
};

/** Why `reporter` may not move a record from `from` to `to`, or undefined when it may. */
export function refusedTransition(
  reporter: Reporter,
  from: CallbackState,
  to: CallbackState,
): string | undefined {
  if (REPORTABLE[reporter][from].includes(to)) return undefined;
  if (from === "COMPLETED") return "it is COMPLETED, which is final";
  if (to === "ROUTING")
    return "ROUTING is set by the dispatcher when it hands the callback over, or by the ORS session that owns it";
  if (to === "QUEUED" || to === "SCHEDULED")
    return `a callback is ${to} only through _new_desired_time, which checks the queue cap and the time bucket`;
  if (from === "SCHEDULED") return "it is SCHEDULED: it can be reported PROCESSING once it is due";
  if (reporter === "ors-session") return `it is ${from}: an ORS session cannot move it back`;
  return `it is ${from}: the dispatcher's answer from _ors decides its outcome`;
}
