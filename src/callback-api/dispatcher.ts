// Hands due callbacks to the orchestration (`_ors`): as GMS does, by starting an ORS session
// (`_ors_dispatch=session`, ors-session.ts), or as a JSON webhook (the default). Claims are
// exactly-once across replicas (row locks, SKIP LOCKED); delivery over the network is
// at-least-once: a replica that dies after its POST and before recording it lets the claim lease
// expire and another replica re-sends. The callback `_id` travels as an Idempotency-Key so the
// receiver can drop such a repeat.
import type { Logger } from "pino";
import { backoff } from "../runtime/backoff.ts";
import type { Clock } from "../runtime/clock.ts";
import { isCallbackReason } from "./callback-states.ts";
import type { Metrics } from "./metrics.ts";
import { substituteTokens, type ServiceOptions } from "./options.ts";
import {
  attemptOrder,
  CANNOT_CONNECT,
  scxmlSource,
  sessionForm,
  sessionIdFrom,
  sessionStartUrl,
} from "./ors-session.ts";
import { orsTargets } from "./ors-urls.ts";
import { emptyParams } from "./request-params.ts";
import type { CallbackRow, Store } from "./store.ts";
import { formatIsoTime, utcDay } from "./time.ts";

export interface DispatcherOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly options: () => ServiceOptions;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Names this replica's claims; unique per process. */
  readonly workerId: string;
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  readonly concurrency?: number;
  /** How long a claim is held before another replica may take it back; longer than a POST. */
  readonly leaseMs?: number;
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly requestTimeoutMs?: number;
  readonly purgeIntervalMs?: number;
  readonly fetch?: typeof fetch;
}

/** The reason recorded when the receiver accepted the callback and named no other. */
export const DELIVERED_REASON = "ROUTED";
export const FAILED_REASON = "FAIL_ERROR";

const CREDENTIAL_OPTIONS = new Set(["username", "password"]);

/** What the `_ors` URL receives: the service's options (tokens substituted), the request, the record. */
export function orsPayload(row: CallbackRow, options: ServiceOptions): Record<string, string> {
  const configured = emptyParams();
  for (const [key, value] of Object.entries(options.raw)) {
    if (key.startsWith("_") && !CREDENTIAL_OPTIONS.has(key))
      configured[key] = substituteTokens(value, row.properties);
  }
  const payload: Record<string, string> = {
    ...configured,
    ...row.properties,
    _id: row.id,
    _service_name: row.serviceName,
    _callback_state: "ROUTING",
    _desired_time: formatIsoTime(row.desiredTime),
    _expiration_time: formatIsoTime(row.expirationTime),
    _attempt: String(row.attempts),
  };
  if (row.customerNumber !== null) payload["_customer_number"] = row.customerNumber;
  return payload;
}

/**
 * A claim's POSTs end this long (at most a quarter of the lease) before its lease does, so that the
 * outcome is recorded while the claim is still this replica's: a lease that runs out mid-batch lets
 * another replica claim and send the same callbacks while this one is still sending them.
 */
const LEASE_MARGIN_MS = 5_000;
/** Less time than this left on the lease: the POST is not started, the claim goes back to the queue. */
const MIN_POST_MS = 1_000;

type Outcome =
  | { kind: "delivered"; reason: string }
  | { kind: "handed-off"; sessionId: string }
  | { kind: "retry"; error: string }
  | { kind: "failed"; error: string };

export class Dispatcher {
  readonly #o: Required<Omit<DispatcherOptions, "fetch">> & { fetch: typeof fetch };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** Monotonic time of the last purge; undefined before the first. */
  #lastPurge: number | undefined;
  /** Sessions this replica started or tried: the turn of `_ors_lb_strategy=circular`. */
  #turn = 0;

  constructor(options: DispatcherOptions) {
    this.#o = {
      pollIntervalMs: 1_000,
      batchSize: 50,
      concurrency: 16,
      leaseMs: 60_000,
      maxAttempts: 5,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      requestTimeoutMs: 10_000,
      purgeIntervalMs: 60_000,
      fetch: globalThis.fetch,
      ...options,
    };
  }

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  /** Runs a pass now (or right after the current one), instead of at the next poll. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.tick()
      .catch((error: unknown) => {
        this.#o.log.error({ err: error }, "Dispatch pass failed");
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.wake();
          return;
        }
        this.#timer = setTimeout(() => {
          this.wake();
        }, this.#o.pollIntervalMs);
      });
  }

  /** Stops polling and waits for the POSTs in flight, so their outcome is recorded. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One pass: purge, release dead claims, promote due callbacks, claim and deliver until none is left. */
  async tick(): Promise<void> {
    const options = this.#o.options();
    const { store, clock } = this.#o;
    const service = options.serviceName;
    const now = clock.now();
    // How long since the last purge is a duration of this process: monotonic time.
    const sincePurge = clock.monotonic() - (this.#lastPurge ?? -Infinity);
    if (sincePurge >= this.#o.purgeIntervalMs) {
      this.#lastPurge = clock.monotonic();
      const purged = await store.purgeExpired(service, now, utcDay(now));
      if (purged > 0) this.#o.log.info({ purged }, "Purged expired callbacks");
      await store.reclaimDeadRows();
    }
    const released = await store.releaseExpiredClaims(service, now);
    if (released > 0) this.#o.log.warn({ released }, "Released expired claims for redelivery");
    await store.promoteDue(service, now + options._request_execution_time_buffer * 1000, now);
    // With no `_ors` configured, callbacks wait QUEUED (not failed) until one is, unless the request
    // brought its own and may (see orsUrls).
    const onlyWithOwnOrs = (options.raw["_ors"] ?? "").trim() === "";
    if (onlyWithOwnOrs && !options._overwritable_options.includes("_ors")) return;
    for (;;) {
      // The lease is stored as wall time (other replicas read it); how much of it is left is
      // measured here, on monotonic time, so a stepped wall clock cannot stretch it.
      const claimedAt = clock.now();
      const claimedMonotonic = clock.monotonic();
      const claimed = await store.claim(service, this.#o.workerId, claimedAt, {
        ms: this.#o.leaseMs,
        limit: this.#o.batchSize,
        onlyWithOwnOrs,
      });
      if (claimed.length === 0) return;
      this.#o.log.debug({ claimed: claimed.length }, "Claimed callbacks");
      const margin = Math.min(LEASE_MARGIN_MS, this.#o.leaseMs / 4);
      await this.#deliverAll(claimed, claimedMonotonic + this.#o.leaseMs - margin);
      if (claimed.length < this.#o.batchSize || this.#stopped) return;
    }
  }

  /** POSTs a claimed batch, `concurrency` at a time; every POST ends by `deadline` (monotonic ms). */
  async #deliverAll(rows: CallbackRow[], deadline: number): Promise<void> {
    const queue = [...rows];
    const worker = async (): Promise<void> => {
      for (let row = queue.shift(); row !== undefined; row = queue.shift())
        await this.#deliverOne(row, deadline);
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, rows.length) }, worker));
  }

  async #deliverOne(row: CallbackRow, deadline: number): Promise<void> {
    const options = this.#o.options();
    const outcome = await this.#post(row, options, deadline);
    const now = this.#o.clock.now();
    const { store, workerId, log, metrics } = this.#o;
    let recorded: boolean;
    if (outcome.kind === "delivered") {
      recorded = await store.finishClaim(row, workerId, outcome.reason, now);
      metrics.dispatches.inc({ outcome: "delivered" });
    } else if (outcome.kind === "handed-off") {
      recorded = await store.handOffClaim(row, workerId, outcome.sessionId, now);
      metrics.dispatches.inc({ outcome: "delivered" });
      if (outcome.sessionId === "")
        log.warn({ id: row.id }, "ORS started a session but its answer named no session id");
    } else if (outcome.kind === "retry" && row.attempts < this.#o.maxAttempts) {
      // Jitter spreads the retries of a batch that failed together.
      const delay = backoff(row.attempts - 1, {
        base: this.#o.backoffBaseMs,
        max: this.#o.backoffMaxMs,
        jitter: 0.5,
      });
      // The retry time is stored for every replica to read: wall time.
      const next = now + delay;
      recorded = await store.retryClaim(row, workerId, next, outcome.error, now);
      metrics.dispatches.inc({ outcome: "retry" });
      log.warn(
        { id: row.id, attempt: row.attempts, error: outcome.error },
        "Dispatch failed; will retry",
      );
    } else {
      recorded = await store.finishClaim(row, workerId, FAILED_REASON, now, outcome.error);
      metrics.dispatches.inc({ outcome: "failed" });
      log.error(
        { id: row.id, attempt: row.attempts, error: outcome.error },
        "Dispatch failed for good",
      );
    }
    if (!recorded) {
      // Cancelled while in flight, or the lease ran out and another replica owns it now.
      metrics.dispatches.inc({ outcome: "lost" });
      log.warn({ id: row.id }, "Dispatch outcome not recorded: the claim was lost");
    }
  }

  /**
   * One delivery: the JSON webhook to the `_ors` URLs in order, or the ORS session start
   * (`_ors_dispatch=session`); both through #postInTurn.
   */
  async #post(row: CallbackRow, options: ServiceOptions, deadline: number): Promise<Outcome> {
    const { urls, refused } = orsTargets(row, options);
    if (urls.length === 0) {
      return refused.length === 0
        ? { kind: "retry", error: "no _ors URL is configured" }
        : { kind: "failed", error: refused.join("; ") };
    }
    if (options._ors_dispatch === "session")
      return this.#startSession(row, options, urls, refused, deadline);
    const answer = await this.#postInTurn(row, urls, deadline, refused, {
      contentType: "application/json",
      body: JSON.stringify(orsPayload(row, options)),
      url: (target) => target,
    });
    return answer.kind === "answered"
      ? { kind: "delivered", reason: reasonFrom(answer.text) }
      : answer;
  }

  /**
   * POSTs one body to each target in turn, within the claim's lease: a 2xx is the answer; any other
   * answer (4xx, 3xx) is the receiver's verdict and fails the callback; what says "not now" (no
   * connection, a timeout, 5xx, 408, 429) moves on to the next target, and when every target said
   * so the callback is retried later. Shared by the webhook and the ORS session start.
   */
  async #postInTurn(
    row: CallbackRow,
    targets: readonly string[],
    deadline: number,
    refused: readonly string[],
    request: { contentType: string; body: string; url: (target: string) => string },
  ): Promise<{ kind: "answered"; text: string } | { kind: "retry" | "failed"; error: string }> {
    const errors: string[] = [...refused];
    for (const target of targets) {
      // A batch behind slow or hanging receivers must not outlive its claim (see LEASE_MARGIN_MS).
      const left = deadline - this.#o.clock.monotonic();
      if (left < MIN_POST_MS) {
        errors.push(`${target}: not tried, the claim's lease is nearly over`);
        return { kind: "retry", error: errors.join("; ") };
      }
      const url = request.url(target);
      const stopTimer = this.#o.metrics.dispatchDuration.startTimer();
      try {
        const response = await this.#o.fetch(url, {
          method: "POST",
          headers: {
            "content-type": request.contentType,
            "idempotency-key": row.id,
            "x-callback-id": row.id,
            "x-callback-dispatcher": this.#o.workerId,
          },
          body: request.body,
          signal: AbortSignal.timeout(Math.min(this.#o.requestTimeoutMs, left)),
          redirect: "manual",
        });
        const text = await response.text();
        if (response.ok) return { kind: "answered", text };
        errors.push(`${url}: HTTP ${response.status}`);
        if (!notNow(response.status)) return { kind: "failed", error: errors.join("; ") };
      } catch (error) {
        errors.push(`${url}: ${errorText(error)}`);
      } finally {
        stopTimer();
      }
    }
    return { kind: "retry", error: errors.join("; ") };
  }

  /**
   * Starts the callback's ORS session as GMS does: a form POST to `<ors>/scxml/session/start`,
   * at most ORS_REQUEST_ATTEMPTS requests over the `_ors` nodes in `_ors_lb_strategy` order. The
   * same answers as the webhook's pass to the next node ("not now": no connection, a timeout, 5xx,
   * 408, 429); any other is the node's verdict (ADR 0050). A 2xx hands the callback to the session.
   */
  async #startSession(
    row: CallbackRow,
    options: ServiceOptions,
    urls: readonly string[],
    refused: readonly string[],
    deadline: number,
  ): Promise<Outcome> {
    const src = scxmlSource(options);
    if (src instanceof Error) return { kind: "failed", error: src.message };
    const answer = await this.#postInTurn(
      row,
      attemptOrder(urls, options._ors_lb_strategy, this.#turn++),
      deadline,
      refused,
      {
        contentType: "application/x-www-form-urlencoded",
        body: sessionForm(orsPayload(row, options), row, src).toString(),
        url: sessionStartUrl,
      },
    );
    if (answer.kind === "answered")
      return { kind: "handed-off", sessionId: sessionIdFrom(answer.text) };
    return answer.kind === "retry"
      ? { kind: "retry", error: `${CANNOT_CONNECT} ${answer.error}` }
      : answer;
  }
}

/** An answer that says "not now" rather than "no": the next node is tried, later a retry. */
const notNow = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/** fetch says "fetch failed" for every network error; the cause names it (ECONNREFUSED, …). */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** The receiver may name the completion reason (`{"_callback_reason": "AGENT_CONNECTED"}`). */
function reasonFrom(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && "_callback_reason" in parsed) {
      const reason = parsed._callback_reason;
      if (typeof reason === "string" && isCallbackReason(reason)) return reason;
    }
  } catch {
    // Not JSON: an empty or plain answer simply means accepted.
  }
  return DELIVERED_REASON;
}
