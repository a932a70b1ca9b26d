import { describe, expect, it } from "vitest";
import { afterWatch, watchRetry, type WatchEnding } from "./informer.ts";
import { KubeApiError } from "./kube-client.ts";

const gone = new KubeApiError(410, "Expired", "too old resource version");
const refused = new Error("connect ECONNREFUSED 127.0.0.1:6443");
const forbidden = new KubeApiError(403, "Forbidden", "cannot list configmaps");

/** random() = 0 gives the full exponential delay; 1 the shortest jitter allows. */
const rows: [string, WatchEnding, number, number, ReturnType<typeof afterWatch>][] = [
  [
    "a closed stream resumes at once",
    { kind: "closed" },
    3,
    0,
    { relist: false, waitMs: 0, failures: 0 },
  ],
  [
    "a stalled stream relists at once",
    { kind: "stalled" },
    3,
    0,
    { relist: true, waitMs: 0, failures: 0, restart: "stalled" },
  ],
  [
    "410 Gone relists at once, failures kept",
    { kind: "failed", error: gone },
    2,
    0,
    { relist: true, waitMs: 0, failures: 2, restart: "gone" },
  ],
  [
    "a first error waits the base",
    { kind: "failed", error: refused },
    0,
    0,
    { relist: false, waitMs: 250, failures: 1, restart: "error" },
  ],
  [
    "errors double the wait",
    { kind: "failed", error: forbidden },
    3,
    0,
    { relist: false, waitMs: 2_000, failures: 4, restart: "error" },
  ],
  [
    "the wait is capped",
    { kind: "failed", error: refused },
    20,
    0,
    { relist: false, waitMs: 30_000, failures: 21, restart: "error" },
  ],
  [
    "jitter shortens the wait by up to half",
    { kind: "failed", error: refused },
    20,
    1,
    { relist: false, waitMs: 15_000, failures: 21, restart: "error" },
  ],
];

describe("the informer's relist and backoff decision", () => {
  it.each(rows)("%s", (_name, ending, failures, random, expected) => {
    expect(afterWatch(ending, failures, () => random)).toEqual(expected);
  });

  it("retries between half and all of the exponential delay", () => {
    expect(watchRetry).toEqual({ base: 250, max: 30_000, jitter: 0.5 });
  });
});
