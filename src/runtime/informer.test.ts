import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { afterWatch, Informer, watchRetry, type WatchEnding } from "./informer.ts";
import { KubeApiError, type KubeApi, type KubeObject, type ObjectList } from "./kube-client.ts";

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

/** Objects as a list returns them: a name, a resourceVersion and the apiserver's bookkeeping. */
const object = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name,
    namespace: "ns",
    resourceVersion: "1",
    managedFields: [{ manager: "kubectl", operation: "Update" }],
    annotations: {
      "kubectl.kubernetes.io/last-applied-configuration": `{"kind":"ConfigMap","data":{}}`,
      team: "blue",
    },
  },
});

/**
 * A scripted API: each list answers the next of `lists`; each watch fails with the next of
 * `watches` (a 410 Gone, say), or, when they run out, waits for the informer to stop.
 */
function scriptedApi(lists: string[][], watches: Error[]): { api: KubeApi; resumedFrom: string[] } {
  const resumedFrom: string[] = [];
  let listed = 0;
  const unused = (): never => {
    throw new Error("not used by the informer");
  };
  const api: KubeApi = {
    list: <T extends KubeObject>(): Promise<ObjectList<T>> => {
      const names = lists[Math.min(listed, lists.length - 1)] ?? [];
      listed++;
      return Promise.resolve({
        items: names.map(object) as T[],
        metadata: { resourceVersion: String(listed * 100) },
      });
    },
    watch: (_path, query, _onEvent, signal) => {
      resumedFrom.push(String(query["resourceVersion"]));
      const failure = watches.shift();
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          resolve();
        });
      });
    },
    request: unused,
    get: unused,
    apply: unused,
    delete: unused,
    create: unused,
    replace: unused,
    resetConnections: () => undefined,
  };
  return { api, resumedFrom };
}

describe("the informer's relist", () => {
  it("after 410 Gone lists again and synthesises a delete for each object gone meanwhile", async () => {
    const { api, resumedFrom } = scriptedApi([["a", "b", "c"], ["a"]], [gone]);
    const relists: number[] = [];
    const deleted: string[] = [];
    const informer = new Informer<KubeObject>(api, {
      name: "ConfigMap",
      paths: ["/api/v1/namespaces/ns/configmaps"],
      log: pino({ level: "silent" }),
      onRelist: (count) => relists.push(count),
    });
    informer.on({ delete: (o) => deleted.push(o.metadata.name) });
    const stop = new AbortController();
    const running = informer.start(stop.signal);
    await expect.poll(() => relists.length).toBe(2);
    await expect.poll(() => resumedFrom.length).toBe(2);
    stop.abort();
    await running;
    expect(relists).toEqual([0, 2]);
    expect(deleted.sort()).toEqual(["b", "c"]);
    expect([...informer.list()].map((o) => o.metadata.name)).toEqual(["a"]);
    // The first watch resumed from the first list, the second from the relist: never the old one.
    expect(resumedFrom).toEqual(["100", "200"]);
  });

  it("after any other failure resumes the watch from where it was, without a list", async () => {
    const { api, resumedFrom } = scriptedApi([["a", "b"], ["a"]], [refused]);
    const relists: number[] = [];
    const informer = new Informer<KubeObject>(api, {
      name: "ConfigMap",
      paths: ["/api/v1/namespaces/ns/configmaps"],
      log: pino({ level: "silent" }),
      onRelist: (count) => relists.push(count),
    });
    const stop = new AbortController();
    const running = informer.start(stop.signal);
    await expect.poll(() => resumedFrom.length, { timeout: 5_000 }).toBe(2);
    stop.abort();
    await running;
    expect(relists).toEqual([0]);
    expect(resumedFrom).toEqual(["100", "100"]);
    expect(informer.size).toBe(2);
  });

  it("caches objects without managedFields or the copy client-side kubectl apply keeps", async () => {
    const { api } = scriptedApi([["a"]], []);
    const informer = new Informer<KubeObject>(api, {
      name: "ConfigMap",
      paths: ["/api/v1/namespaces/ns/configmaps"],
      log: pino({ level: "silent" }),
    });
    const stop = new AbortController();
    const running = informer.start(stop.signal);
    await expect.poll(() => informer.size).toBe(1);
    stop.abort();
    await running;
    expect(informer.get("ns/a")?.metadata).toEqual({
      name: "a",
      namespace: "ns",
      resourceVersion: "1",
      annotations: { team: "blue" },
    });
  });
});
