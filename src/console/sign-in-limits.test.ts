import { describe, expect, it } from "vitest";
import { ManualClock } from "../runtime/clock.ts";
import { SignInLimits } from "./sign-in-limits.ts";

const options = { failuresPerUser: 3, windowMs: 60_000, concurrentChecks: 2, maxUsers: 2 };

function fail(limits: SignInLimits, username: string): void {
  const admission = limits.admit(username);
  if (!admission.ok) throw new Error(`refused: ${admission.reason}`);
  admission.done(false);
}

describe("sign-in limits", () => {
  it("make a user name wait after its failures, until the oldest leaves the window", () => {
    const clock = new ManualClock(0);
    const limits = new SignInLimits(clock, options);
    fail(limits, "alice");
    clock.advance(10_000);
    fail(limits, "alice");
    fail(limits, "alice");
    expect(limits.admit("alice")).toEqual({ ok: false, reason: "user", retryAfterMs: 50_000 });
    // Another user name is not held by alice's failures.
    expect(limits.admit("bob").ok).toBe(true);
    clock.advance(50_000);
    expect(limits.admit("alice").ok).toBe(true);
  });

  it("forget a user name's failures once it signs in", () => {
    const clock = new ManualClock(0);
    const limits = new SignInLimits(clock, options);
    fail(limits, "alice");
    fail(limits, "alice");
    const admission = limits.admit("alice");
    expect(admission.ok).toBe(true);
    if (admission.ok) admission.done(true);
    fail(limits, "alice");
    fail(limits, "alice");
    expect(limits.admit("alice").ok).toBe(true);
  });

  it("refuse checks beyond the concurrent limit and admit again when one ends", () => {
    const limits = new SignInLimits(new ManualClock(0), options);
    const first = limits.admit("a");
    const second = limits.admit("b");
    expect(limits.admit("c")).toEqual({ ok: false, reason: "busy", retryAfterMs: 1_000 });
    if (!first.ok || !second.ok) throw new Error("the first two are admitted");
    first.done(true);
    first.done(true); // a second call changes nothing
    expect(limits.admit("c").ok).toBe(true);
    expect(limits.admit("d").ok).toBe(false);
  });

  it("remember at most maxUsers user names, forgetting the oldest", () => {
    const limits = new SignInLimits(new ManualClock(0), options);
    for (let i = 0; i < 3; i += 1) fail(limits, "alice");
    for (const name of ["bob", "carol"]) fail(limits, name);
    // alice was the oldest of three names with a limit of two: forgotten, so admitted again.
    expect(limits.admit("alice").ok).toBe(true);
  });
});
