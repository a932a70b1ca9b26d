// The control plane a benchmark runs on, and the few things every measurement does with it:
// install the API, make and remove namespaces, apply many objects at a fixed concurrency, and
// wait — on a watch, not by polling — until a set of objects satisfies a condition.
import { KubeConfig } from "@kubernetes/client-node";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { startTestPlane, type TestPlane } from "../../src/control-plane/test-plane.ts";
import { KubeClient, isNotFound, type KubeObject } from "../../src/runtime/kube-client.ts";
import { kubeConfigAccess } from "../../src/runtime/kubeconfig-access.ts";
import { waitFor } from "../../test/support/wait.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
export const benchFieldManager = "callback-operator-bench";

export interface BenchCluster {
  readonly plane: TestPlane;
  readonly kubeconfig: string;
  readonly client: KubeClient;
  stop(): Promise<void>;
}

export async function startBenchCluster(log: (message: string) => void): Promise<BenchCluster> {
  const plane = await startTestPlane((message) => {
    log(`[control-plane] ${message}`);
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.state.kubeconfig);
  const client = new KubeClient(kubeConfigAccess(kubeConfig));
  const cluster = {
    plane,
    kubeconfig: plane.state.kubeconfig,
    client,
    async stop() {
      await client.close();
      await plane.stop();
    },
  };
  await installApi(client);
  return cluster;
}

/** The CRDs, applied server-side, and served. */
async function installApi(client: KubeClient): Promise<void> {
  for (const file of [
    "crds/callback-operator.io_callbackservices.yaml",
    "crds/callback-operator.io_servicetemplates.yaml",
  ]) {
    const [crd] = parseAllDocuments(await readFile(path.join(repoRoot, file), "utf8")).map(
      (d) => d.toJS() as KubeObject,
    );
    if (crd === undefined) throw new Error(`${file} holds no CRD`);
    await client.apply(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      crd,
      benchFieldManager,
    );
  }
  await waitFor(
    async () => {
      try {
        await client.request("GET", "/apis/callback-operator.io/v1alpha1/servicetemplates");
        await client.request("GET", "/apis/callback-operator.io/v1alpha1/callbackservices");
        return true;
      } catch {
        return false;
      }
    },
    60_000,
    "the CRDs to be served",
  );
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.apply(
    `/api/v1/namespaces/${name}`,
    { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    benchFieldManager,
  );
}

/** Deletes a namespace and waits until it is gone (the namespace controller empties it first). */
export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.delete(`/api/v1/namespaces/${name}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await waitFor(
    () => client.get(`/api/v1/namespaces/${name}`).then(() => false, isNotFound),
    900_000,
    `namespace ${name} to be deleted`,
  );
}

/** Runs `work` over `items` with at most `concurrency` in flight; resolves when all are done. */
export async function eachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
}

/**
 * Lists `collection` and then watches it, keeping every object by name, until `done(objects)`
 * holds; resolves with the time (performance.now()) at which it first held.
 */
export async function watchUntil(
  client: KubeClient,
  collection: string,
  done: (objects: ReadonlyMap<string, KubeObject>) => boolean,
  timeoutMs: number,
  selectors: { labelSelector?: string; fieldSelector?: string } = {},
): Promise<number> {
  const objects = new Map<string, KubeObject>();
  const stop = new AbortController();
  const timer = setTimeout(() => {
    stop.abort();
  }, timeoutMs);
  const query = { ...selectors };
  try {
    const list = await client.list(collection, query);
    for (const item of list.items) objects.set(item.metadata.name, item);
    if (done(objects)) return performance.now();
    let resourceVersion = list.metadata.resourceVersion;
    for (;;) {
      let reachedAt: number | undefined;
      await client
        .watch(
          collection,
          { ...query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 60 },
          (event) => {
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === "BOOKMARK") return;
            if (event.type === "DELETED") objects.delete(event.object.metadata.name);
            else objects.set(event.object.metadata.name, event.object);
            if (reachedAt === undefined && done(objects)) {
              reachedAt = performance.now();
              stop.abort();
            }
          },
          stop.signal,
        )
        .catch((error: unknown) => {
          if (!stop.signal.aborted) throw error;
        });
      if (reachedAt !== undefined) return reachedAt;
      if (stop.signal.aborted) {
        throw new Error(`Timed out after ${timeoutMs} ms watching ${collection}`);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
