import { describe, expect, it } from "vitest";
import type { Outcome } from "./outcome.ts";
import { StatusHold, waitingGraceMs } from "./status-hold.ts";

const health = { ok: true, message: "fine" };
const outcomes = {
  waiting: {
    kind: "waiting",
    step: "ObserveHealth",
    reason: "DeploymentUnavailable",
    message: "0 of 1 available",
    deployment: { ok: false, message: "0 of 1 available" },
    route: health,
  },
  ready: { kind: "ready", deployment: health, route: health },
  stalled: {
    kind: "stalled",
    step: "CheckOwnership",
    reason: "ChildConflict",
    message: "taken",
  },
  failed: { kind: "failed", step: "ApplyChildren", message: "etcd is away" },
} as const satisfies Record<string, Outcome>;

const key = "contact-centre/support";

describe("StatusHold", () => {
  it("holds only a waiting outcome of a generation the status has not observed", () => {
    const hold = (): StatusHold => new StatusHold();
    expect(hold().holdMs(key, 1, undefined, outcomes.waiting, 0)).toBe(waitingGraceMs);
    expect(hold().holdMs(key, 2, 1, outcomes.waiting, 0)).toBe(waitingGraceMs);
    expect(hold().holdMs(key, 2, 2, outcomes.waiting, 0)).toBeUndefined();
    for (const outcome of [outcomes.ready, outcomes.stalled, outcomes.failed])
      expect(hold().holdMs(key, 1, undefined, outcome, 0), outcome.kind).toBeUndefined();
  });

  it("counts the grace from the first hold, and writes once it has passed", () => {
    const hold = new StatusHold();
    expect(hold.holdMs(key, 1, undefined, outcomes.waiting, 1_000)).toBe(waitingGraceMs);
    expect(hold.holdMs(key, 1, undefined, outcomes.waiting, 3_000)).toBe(waitingGraceMs - 2_000);
    expect(hold.holdMs(key, 1, undefined, outcomes.waiting, 1_000 + waitingGraceMs)).toBe(
      undefined,
    );
    // Written: the next change of spec gets a grace of its own.
    expect(hold.holdMs(key, 2, 1, outcomes.waiting, 60_000)).toBe(waitingGraceMs);
  });

  it("does not restart the grace for a spec changed again meanwhile", () => {
    const hold = new StatusHold();
    expect(hold.holdMs(key, 1, undefined, outcomes.waiting, 0)).toBe(waitingGraceMs);
    expect(hold.holdMs(key, 2, undefined, outcomes.waiting, 4_000)).toBe(waitingGraceMs - 4_000);
    expect(hold.holdMs(key, 3, undefined, outcomes.waiting, waitingGraceMs)).toBeUndefined();
  });

  it("ends a hold at any outcome that is written, and at release", () => {
    const hold = new StatusHold();
    hold.holdMs(key, 1, undefined, outcomes.waiting, 0);
    expect(hold.holdMs(key, 1, undefined, outcomes.failed, 1_000)).toBeUndefined();
    expect(hold.holdMs(key, 2, 1, outcomes.waiting, 2_000)).toBe(waitingGraceMs);
    hold.release(key);
    expect(hold.holdMs(key, 2, 1, outcomes.waiting, 4_000)).toBe(waitingGraceMs);
    expect(hold.holdMs("other/service", 1, undefined, outcomes.waiting, 4_500)).toBe(
      waitingGraceMs,
    );
  });
});
