import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.ts";
import { WorkQueue } from "./work-queue.ts";

const queue = (): WorkQueue => new WorkQueue({ backoff: { base: 10, max: 80, jitter: 0 } });

describe("WorkQueue", () => {
  it("collapses a key added twice while waiting", async () => {
    const q = queue();
    q.add("ns/a");
    q.add("ns/b");
    q.add("ns/a");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
  });

  it("never hands a key to two workers; a key added in flight is re-queued after done", async () => {
    const q = queue();
    q.add("ns/a");
    const key = await q.get();
    q.add("ns/a");
    expect(q.length).toBe(0);
    expect(q.inFlight).toBe(1);
    q.done(key ?? "");
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("ns/a");
  });

  it("wakes a waiting worker when a key arrives", async () => {
    const q = queue();
    const next = q.get();
    q.add("ns/late");
    expect(await next).toBe("ns/late");
  });

  it("backs off exponentially per key up to the cap, and forget resets it", () => {
    const q = queue();
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited("ns/a"));
    expect(delays).toEqual([10, 20, 40, 80, 80]);
    expect(q.addRateLimited("ns/b")).toBe(10);
    q.forget("ns/a");
    expect(q.failures("ns/a")).toBe(0);
    expect(q.addRateLimited("ns/a")).toBe(10);
    q.shutDown();
  });

  it("adds a delayed key once its delay has passed", async () => {
    const q = queue();
    q.addAfter("ns/a", 20);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe("ns/a");
  });

  it("keeps the sooner of two delays for a waiting key: a short re-queue is not held by a long backoff", async () => {
    const q = queue();
    q.addAfter("ns/a", 600_000);
    q.addAfter("ns/a", 20);
    q.addAfter("ns/a", 300_000);
    expect(await q.get()).toBe("ns/a");
    q.shutDown();
  });

  it("hands out queued keys after shutdown, then undefined to every worker", async () => {
    const q = queue();
    q.add("ns/a");
    q.shutDown();
    q.add("ns/b");
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBeUndefined();
  });

  it("reports adds, retries, depth and queue latency", async () => {
    const clock = new ManualClock(1_000);
    const seen = { adds: 0, retries: 0, depth: [] as number[], queued: [] as number[] };
    const q = new WorkQueue({
      backoff: { base: 1, max: 1, jitter: 0 },
      clock,
      hooks: {
        add: () => seen.adds++,
        retry: () => seen.retries++,
        depth: (d) => seen.depth.push(d),
        queued: (s) => seen.queued.push(s),
      },
    });
    q.add("ns/a");
    clock.advance(1_500);
    await q.get();
    q.addRateLimited("ns/a");
    expect(seen).toEqual({ adds: 1, retries: 1, depth: [1, 0], queued: [1.5] });
    q.shutDown();
  });
});
