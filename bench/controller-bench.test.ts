import { describe, expect, it } from "vitest";
import { idleOf, latencyOf } from "./controller-bench.ts";

describe("detail samples of several runs", () => {
  it("give idle rates over the runs' whole time, each window weighted by its length", () => {
    const idle = idleOf([
      { windowSeconds: 20, requestsPerMinute: { GET: 3 }, writesPerMinute: 0 },
      { windowSeconds: 60, requestsPerMinute: { GET: 1, PATCH: 2 }, writesPerMinute: 2 },
    ]);
    expect(idle).toEqual({
      windowSeconds: 80,
      requestsPerMinute: { GET: 1.5, PATCH: 1.5 },
      writesPerMinute: 1.5,
    });
  });

  it("give latency percentiles over the edits of every run", () => {
    const readyMs = Array.from({ length: 100 }, (_, i) => i + 1);
    const latency = latencyOf({ configMapMs: readyMs.map((ms) => ms / 2), readyMs });
    expect(latency.edits).toBe(100);
    expect(latency.readyMs.p99).toBeGreaterThanOrEqual(99);
    expect(latency.readyMs.p50).toBeGreaterThanOrEqual(50);
    expect(latency.readyMs.p50).toBeLessThanOrEqual(51);
    expect(latency.configMapMs.p50).toBeLessThan(latency.readyMs.p50);
  });
});
