// The Callback API as the operator deploys it, on a real node running the product image: probes,
// the GMS endpoints through a port-forward, the pod's security settings, its memory under load,
// a graceful SIGTERM and a rollout that keeps answering. Numbers measured here are in
// docs/testing.md ("Real pods").
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { realNodeName, realNodeTaint, tagImage } from "../../src/control-plane/real-node.ts";
import { selectorLabels } from "../../src/render/render.ts";
import pg from "pg";
import {
  createDatabase,
  findAdminUrl,
  type CreatedDatabase,
} from "../callback-api/support/postgres-admin.ts";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
} from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";
import { waitFor } from "../support/wait.ts";
import { portForward, type PortForward } from "./support/port-forward.ts";
import { startRelay, type Relay } from "./support/tcp-relay.ts";

/** kubectl without blocking the event loop (requests are in flight meanwhile); resolves to stdout. */
function kubectlAsync(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(inject("kubectl"), [`--kubeconfig=${inject("kubeconfig")}`, ...args]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr}`));
    });
  });
}

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      containerID?: string;
      lastState?: { terminated?: { reason?: string } };
    }[];
  };
}

const apiPath = (service: string): string => `/genesys/1/service/callback/${service}`;

/** Options that let a thousand starts in a row through (no throttles, no queue cap). */
const permissive = {
  _route_point: "8999@SIP_Switch",
  _disallow_impossible_phone_numbers: "false",
  _disallow_premium_phone_numbers: "false",
  _enable_in_queue_checking: "false",
  _throttle_request_parameters_limit: "100000",
  _throttle_callbacks_per_service_1: "100000",
  _throttle_callbacks_per_service_2: "100000",
  _max_queued_callbacks_per_service: "100000",
  _max_request_by_time_bucket: "100000",
};

/** The real node only: its label as the selector, its taint tolerated. */
const onRealNode = {
  nodeSelector: { [realNodeTaint.key]: realNodeTaint.value },
  tolerations: [
    {
      key: realNodeTaint.key,
      operator: "Equal",
      value: realNodeTaint.value,
      effect: realNodeTaint.effect,
    },
  ],
};

let namespace: string;
let operator: RunningOperator;
const forwards: PortForward[] = [];

beforeAll(async () => {
  installCrds();
  namespace = createNamespace("e2e");
  operator = await startOperator("e2e-real-node", [
    `--callback-api-image=${inject("productImage").reference}`,
  ]);
});

afterAll(async () => {
  for (const forward of forwards) forward.stop();
  await operator.stop();
});

function applyService(name: string, api: Record<string, unknown>, options = {}): void {
  const service = {
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name, namespace },
    spec: {
      scenario: "User-Terminated-Delayed",
      options: { ...permissive, ...options },
      api: { ...onRealNode, ...api },
    },
  };
  kubectl(["apply", "--server-side", "--field-manager=e2e", "-f", "-"], {
    input: stringify(service),
  });
}

function pods(service: string): Pod[] {
  return kubectlJson<{ items: Pod[] }>([
    "get",
    "pods",
    "-n",
    namespace,
    "-l",
    Object.entries(selectorLabels(service))
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
  ]).items;
}

const isReady = (pod: Pod): boolean =>
  pod.metadata.deletionTimestamp === undefined &&
  (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** Waits for the service's Deployment to be Available with `count` Ready pods; returns them. */
async function readyPods(service: string, count = 1): Promise<Pod[]> {
  let ready: Pod[] = [];
  await waitFor(
    () => {
      ready = pods(service).filter(isReady);
      return Promise.resolve(ready.length === count);
    },
    180_000,
    `${count} Ready pod(s) of ${service} on the real node`,
    500,
  );
  return ready;
}

async function forward(pod: Pod): Promise<PortForward> {
  const opened = await portForward(namespace, `pod/${pod.metadata.name}`, 8080);
  forwards.push(opened);
  return opened;
}

let sequence = 0;
/** A start request with a number no earlier request used; resolves to the HTTP status. */
async function startCallback(base: string, service: string): Promise<number> {
  sequence++;
  const response = await fetch(`${base}${apiPath(service)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      _customer_number: `+1650${String(4_000_000 + sequence).padStart(7, "0")}`,
      seq: String(sequence),
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs `total` calls of `task`, `concurrency` at a time. */
async function pool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

/** The container's memory cgroup on the host (cgroup v1, cgroupfs driver, under the node's root). */
function memoryCgroup(pod: Pod): string {
  const id = pod.status.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, "");
  if (id === undefined) throw new Error(`Pod ${pod.metadata.name} has no container ID`);
  const root = path.join("/sys/fs/cgroup/memory", inject("realNode").cgroupRoot);
  const find = (dir: string): string | undefined => {
    if (path.basename(dir) === id) return dir;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const found = find(path.join(dir, entry.name));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const dir = existsSync(root) ? find(root) : undefined;
  if (dir === undefined) throw new Error(`No memory cgroup of container ${id} under ${root}`);
  return dir;
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

function exec(pod: Pod, script: string): { status: number; stdout: string; stderr: string } {
  return tryKubectl([
    "exec",
    "-n",
    namespace,
    pod.metadata.name,
    "--",
    "/usr/local/bin/node",
    "-e",
    script,
  ]);
}

describe("a Callback API pod on the real node (embedded PGlite, the default resources)", () => {
  const service = "pglite";
  let pod: Pod;
  let base: string;

  beforeAll(async () => {
    applyService(service, {});
    [pod] = (await readyPods(service)) as [Pod];
    base = (await forward(pod)).base;
  });

  it("runs the product image on the real node and is Ready through its real probes", () => {
    expect(pod.spec.nodeName).toBe(realNodeName);
    const node = kubectlJson<{ status: { nodeInfo: { containerRuntimeVersion: string } } }>([
      "get",
      "node",
      realNodeName,
    ]);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    const status = kubectlJson<{
      status: { containerStatuses: { imageID: string; image: string }[] };
    }>(["get", "pod", "-n", namespace, pod.metadata.name]).status.containerStatuses[0];
    expect(status?.image).toBe(inject("productImage").reference);
    // The kubelet's readiness probe (GET /readyz on the pod's address) passed: the pod is Ready.
    expect(isReady(pod)).toBe(true);
  });

  it("answers a start-callback through kubectl port-forward with 200, and a query finds it", async () => {
    const response = await fetch(`${base}${apiPath(service)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ _customer_number: "+16504661100", order: "A-17" }),
    });
    expect(response.status).toBe(200);
    const { _id: id } = (await response.json()) as { _id: string };
    const query = await fetch(`${base}${apiPath(service)}?_id=${id}`);
    expect(query.status).toBe(200);
    expect(JSON.stringify(await query.json())).toContain(id);
  });

  it("runs as uid 1000 on a read-only root file system", () => {
    const uid = exec(pod, "process.stdout.write(String(process.getuid()))");
    expect(uid.stdout).toBe("1000");
    const write = exec(pod, "require('fs').writeFileSync('/x', 'x')");
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/EROFS|read-only file system/);
  });

  it("serves 1,000 start requests within the default memory limit, never OOM-killed", async () => {
    const cgroup = memoryCgroup(pod);
    const limit = Number(readFileSync(path.join(cgroup, "memory.limit_in_bytes"), "utf8"));
    const statuses: number[] = [];
    await pool(1_000, 8, async () => {
      statuses.push(await startCallback(base, service));
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const peak = Number(readFileSync(path.join(cgroup, "memory.max_usage_in_bytes"), "utf8"));
    const held = Number(readFileSync(path.join(cgroup, "memory.usage_in_bytes"), "utf8"));
    const after = pods(service).find((p) => p.metadata.name === pod.metadata.name);
    console.log(
      `[e2e] PGlite pod, default limit ${mib(limit)} MiB: peak ${mib(peak)} MiB over start-up and 1,000 starts, ${mib(held)} MiB held after`,
    );
    expect(after?.status.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(peak).toBeLessThanOrEqual(limit);
  });
});

describe("Callback API pods on PostgreSQL (reached at the real node's bridge address)", () => {
  const service = "pg";
  let relay: Relay;
  let database: CreatedDatabase;

  beforeAll(async () => {
    const admin = await findAdminUrl();
    database = await createDatabase(admin, `e2e_${Date.now().toString(36)}`);
    relay = await startRelay(inject("realNode").gateway, { host: "127.0.0.1", port: 5432 });
    const url = new URL(database.url);
    url.host = `${relay.host}:${relay.port}`;
    kubectl([
      "create",
      "secret",
      "generic",
      "db",
      "-n",
      namespace,
      `--from-literal=url=${url.toString()}`,
    ]);
    applyService(service, { replicas: 2, databaseSecretRef: { name: "db", key: "url" } });
    await readyPods(service, 2);
  });

  afterAll(async () => {
    await relay.close();
    await database.drop();
  });

  it("drains in-flight requests on SIGTERM within the grace period", async () => {
    const [pod] = pods(service).filter(isReady) as [Pod];
    const { base } = await forward(pod);
    // A slow database answer keeps these requests in flight past the 3 s preStop pause, into
    // SIGTERM. A start is one statement round trip (ADR 0121), so its one answer is held back
    // longer than the pause; the readiness probe's ping (2 s timeout) fails meanwhile, but fewer
    // times than its failure threshold (3 × 5 s). Two starts first, undelayed, so that the pool
    // holds two open connections: a new one's handshake through the delay would meet the pool's
    // 5 s connection timeout.
    const warm = await Promise.all([startCallback(base, service), startCallback(base, service)]);
    expect(warm).toEqual([200, 200]);
    relay.delayMs = 4_500;
    const inFlight = Array.from({ length: 2 }, () =>
      startCallback(base, service).then(
        (status) => ({ status, at: Date.now() }),
        (error: unknown) => ({ status: String(error), at: Date.now() }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const deleted = Date.now();
    await kubectlAsync(["delete", "pod", "-n", namespace, pod.metadata.name, "--wait=false"]);
    const answers = await Promise.all(inFlight);
    relay.delayMs = 0;
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // Some answers came after SIGTERM (sent once the 3 s preStop pause ended): they were drained.
    const lastMs = Math.max(...answers.map((a) => a.at)) - deleted;
    console.log(
      `[e2e] SIGTERM drain: ${answers.length} in-flight starts answered 200, the last ${lastMs} ms after the delete`,
    );
    expect(lastMs).toBeGreaterThan(3_000);
    expect(lastMs).toBeLessThan(30_000);
    await waitFor(
      () => Promise.resolve(!pods(service).some((p) => p.metadata.name === pod.metadata.name)),
      60_000,
      `pod ${pod.metadata.name} gone`,
      500,
    );
    await readyPods(service, 2);
  });

  /** Rows in the service's database: every acknowledged start is one. */
  async function storedRows(): Promise<number> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const result = await client.query<{ n: string }>("SELECT count(*) AS n FROM callbacks");
      return Number(result.rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  /**
   * Under a steady load of starts, `change` rolls the pods; refused requests and lost callbacks
   * are counted until every pod present before is replaced by a Ready one.
   */
  async function underLoad(
    what: string,
    change: (balancer: PodBalancer) => Promise<void> | void,
  ): Promise<void> {
    const balancer = new PodBalancer(service);
    await balancer.refresh();
    const rowsBefore = await storedRows();
    let stop = false;
    const results = { ok: 0, refused: 0, errors: [] as string[] };
    const load = pool(4, 4, async () => {
      while (!stop) {
        const target = balancer.pick();
        if (target === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        const status = await startCallback(target.base, service).catch((error: unknown) => {
          results.errors.push(`${target.pod}: ${String(error)}`);
          return 0;
        });
        if (status === 200) results.ok++;
        else results.refused++;
      }
    });
    const rollout = (async () => {
      await change(balancer);
      await waitFor(
        async () => {
          await balancer.refresh();
          const current = pods(service);
          return (
            current.length === 2 &&
            current.every(isReady) &&
            current.every((p) => !balancer.before.has(p.metadata.name))
          );
        },
        240_000,
        `the pods replaced after ${what}`,
        300,
      );
    })();
    await rollout.finally(() => {
      stop = true;
    });
    await load;
    balancer.close();
    const stored = (await storedRows()) - rowsBefore;
    console.log(
      `[e2e] ${what} on PostgreSQL, 2 replicas: ${results.ok} answered, ${results.refused} refused, ${stored} stored (${results.errors.slice(0, 3).join("; ")})`,
    );
    expect(results.ok).toBeGreaterThan(0);
    expect(results.refused).toBe(0);
    expect(results.errors).toEqual([]);
    expect(stored).toBe(results.ok);
  }

  it("keeps answering through a rollout (an option change): no request refused, none lost", async () => {
    await underLoad("an option change", () => {
      applyService(
        service,
        { replicas: 2, databaseSecretRef: { name: "db", key: "url" } },
        { _text: "rolled" },
      );
    });
  });

  it("keeps answering through an image change (the service moves to another image): no request refused, none lost", async () => {
    const other = `${inject("productImage").reference.replace(/:[^:/]+$/, "")}:pg-image`;
    tagImage(inject("realNode"), inject("productImage").reference, other);
    await underLoad("an image change", () => {
      applyService(
        service,
        { replicas: 2, databaseSecretRef: { name: "db", key: "url" }, image: other },
        { _text: "rolled" },
      );
    });
  });

  it("keeps answering while its pods are deleted one after the other (a node drain): no request refused, none lost", async () => {
    await underLoad("pod deletions", async (balancer) => {
      for (const pod of pods(service)) {
        await kubectlAsync(["delete", "pod", "-n", namespace, pod.metadata.name, "--wait=false"]);
        // As kube-proxy does: the deleted pod leaves the rotation once its deletion shows.
        await waitFor(
          async () => {
            await balancer.refresh();
            const current = pods(service);
            return (
              current.filter(isReady).length === 2 &&
              !current.some((p) => p.metadata.name === pod.metadata.name)
            );
          },
          180_000,
          `pod ${pod.metadata.name} replaced`,
          300,
        );
      }
    });
  });

  it("serves 1,000 start requests on PostgreSQL within the default 256 MiB limit", async () => {
    const [pod] = pods(service).filter(isReady) as [Pod];
    const { base } = await forward(pod);
    const cgroup = memoryCgroup(pod);
    const limit = Number(readFileSync(path.join(cgroup, "memory.limit_in_bytes"), "utf8"));
    const statuses: number[] = [];
    await pool(1_000, 8, async () => {
      statuses.push(await startCallback(base, service));
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const peak = Number(readFileSync(path.join(cgroup, "memory.max_usage_in_bytes"), "utf8"));
    console.log(
      `[e2e] PostgreSQL pod, default limit ${mib(limit)} MiB: peak ${mib(peak)} MiB over start-up and 1,000 starts`,
    );
    expect(limit).toBe(256 * 2 ** 20);
    expect(
      pods(service).find((p) => p.metadata.name === pod.metadata.name)?.status
        .containerStatuses?.[0]?.restartCount,
    ).toBe(0);
  });
});

/** Waits until the service's one Ready pod is another than `before` (the change rolled it). */
async function replacedPod(service: string, before: Pod): Promise<Pod> {
  let replaced: Pod | undefined;
  await waitFor(
    () => {
      const ready = pods(service).filter(isReady);
      replaced = ready.find((p) => p.metadata.uid !== before.metadata.uid);
      return Promise.resolve(ready.length === 1 && replaced !== undefined);
    },
    240_000,
    `a new Ready pod of ${service}`,
    500,
  );
  return replaced as Pod;
}

/** Every stored callback by id through the pod's Callback API: id -> state. */
async function storedStates(
  pod: Pod,
  service: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const { base } = await forward(pod);
  const states = new Map<string, string>();
  for (const id of ids) {
    const response = await fetch(`${base}${apiPath(service)}?_id=${id}`);
    const body = await response.json();
    const record = (Array.isArray(body) ? body : [body])[0] as Record<string, string> | undefined;
    if (response.status === 200 && record?.["_id"] === id)
      states.set(id, record["_callback_state"] ?? "");
  }
  return states;
}

/** An HTTP receiver of due callbacks on loopback, reached from pods through the node's bridge. */
async function startReceiver(): Promise<{
  url: string;
  deliveries: Map<string, number>;
  close: () => Promise<void>;
}> {
  const deliveries = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      const id = (JSON.parse(body || "{}") as { _id?: string })._id;
      if (id !== undefined) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relay = await startRelay(inject("realNode").gateway, {
    host: "127.0.0.1",
    port: (server.address() as AddressInfo).port,
  });
  return {
    url: `http://${relay.host}:${String(relay.port)}/ors`,
    deliveries,
    close: async () => {
      await relay.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("stored callbacks survive every change of a service on the embedded database (issue 16)", () => {
  const service = "durable";
  /** Scheduled for later: they must be there, unchanged, after every change. */
  const kept: string[] = [];
  /** Due while the changes run: each must reach the receiver exactly once. */
  const due: string[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let pod: Pod;

  async function startAt(base: string, desired: Date): Promise<string> {
    sequence++;
    const response = await fetch(`${base}${apiPath(service)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        _customer_number: `+1650${String(5_000_000 + sequence).padStart(7, "0")}`,
        _desired_time: desired.toISOString().replace(/\.\d{3}Z$/, ".000Z"),
      }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { _id: string })._id;
  }

  async function expectAllKept(when: string): Promise<void> {
    const states = await storedStates(pod, service, kept);
    console.log(
      `[e2e] embedded service after ${when}: ${states.size} of ${kept.length} callbacks found`,
    );
    expect(states.size, when).toBe(kept.length);
    expect(new Set(states.values()), when).toEqual(new Set(["SCHEDULED"]));
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    applyService(service, {}, { _ors: receiver.url });
    [pod] = (await readyPods(service)) as [Pod];
    const { base } = await forward(pod);
    const now = Date.now();
    for (let i = 0; i < 50; i++) kept.push(await startAt(base, new Date(now + 3 * 3600_000)));
    // Due one after another while the changes below roll the pod (each is sent when a pod runs).
    for (let i = 0; i < 5; i++) due.push(await startAt(base, new Date(now + (i + 1) * 30_000)));
  });

  afterAll(async () => {
    await receiver.close();
  });

  it("keeps them on a volume claim of its StatefulSet, not on an emptyDir", () => {
    const statefulSet = kubectlJson<{ spec: { volumeClaimTemplates: unknown[] } }>([
      "get",
      "statefulset",
      "-n",
      namespace,
      service,
    ]);
    expect(statefulSet.spec.volumeClaimTemplates).toHaveLength(1);
    const claim = kubectlJson<{ status: { phase: string } }>([
      "get",
      "pvc",
      "-n",
      namespace,
      `data-${service}-0`,
    ]);
    expect(claim.status.phase).toBe("Bound");
  });

  it("survives an option change (a rollout of the one pod)", async () => {
    applyService(service, {}, { _ors: receiver.url, _text: "changed" });
    pod = await replacedPod(service, pod);
    await expectAllKept("an option change");
  });

  it("survives an image change (the operator upgraded to a new Callback API image)", async () => {
    const upgraded = `${inject("productImage").reference.replace(/:[^:/]+$/, "")}:upgrade`;
    tagImage(inject("realNode"), inject("productImage").reference, upgraded);
    await operator.stop();
    operator = await startOperator("e2e-real-node-upgraded", [`--callback-api-image=${upgraded}`]);
    pod = await replacedPod(service, pod);
    const image = kubectlJson<Pod & { spec: { containers: { image: string }[] } }>([
      "get",
      "pod",
      "-n",
      namespace,
      pod.metadata.name,
    ]).spec.containers[0]?.image;
    expect(image).toBe(upgraded);
    await expectAllKept("an image change");
  });

  it("survives the deletion of its pod", async () => {
    kubectl(["delete", "pod", "-n", namespace, pod.metadata.name, "--wait=false"]);
    pod = await replacedPod(service, pod);
    await expectAllKept("a pod deletion");
  });

  it("survives the deletion and re-creation of the CallbackService (the claim is retained)", async () => {
    kubectl(["delete", "callbackservice", "-n", namespace, service, "--wait=true"]);
    await waitFor(
      () => Promise.resolve(pods(service).length === 0),
      120_000,
      `the pods of ${service} gone`,
      500,
    );
    expect(kubectl(["get", "pvc", "-n", namespace, `data-${service}-0`, "-o", "name"])).toContain(
      `data-${service}-0`,
    );
    applyService(service, {}, { _ors: receiver.url, _text: "changed" });
    [pod] = (await readyPods(service)) as [Pod];
    await expectAllKept("the deletion and re-creation of the CallbackService");
  });

  it("dispatches every callback that fell due during the changes exactly once", async () => {
    await waitFor(
      () => Promise.resolve(due.every((id) => receiver.deliveries.has(id))),
      180_000,
      "every due callback delivered",
      1_000,
    );
    // A moment more: a second delivery of one of them would show now.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(due.map((id) => receiver.deliveries.get(id))).toEqual(due.map(() => 1));
    expect(kept.filter((id) => receiver.deliveries.has(id))).toEqual([]);
  });
});

/**
 * What kube-proxy does for a Service, for a test that may reach pods through port-forwards only:
 * requests go to Ready pods that are not terminating; a pod leaves the rotation as soon as its
 * deletion shows (the pod's preStop pause covers the time this takes, as it does for kube-proxy).
 */
class PodBalancer {
  readonly before: Set<string>;
  private readonly forwards = new Map<string, Promise<PortForward>>();
  private ready: { pod: string; base: string }[] = [];
  private next = 0;

  private readonly service: string;

  constructor(service: string) {
    this.service = service;
    this.before = new Set(pods(service).map((p) => p.metadata.name));
  }

  async refresh(): Promise<void> {
    const stdout = await kubectlAsync([
      "get",
      "pods",
      "-n",
      namespace,
      "-o",
      "json",
      "-l",
      Object.entries(selectorLabels(this.service))
        .map(([key, value]) => `${key}=${value}`)
        .join(","),
    ]);
    const current = (JSON.parse(stdout) as { items: Pod[] }).items;
    const usable: { pod: string; base: string }[] = [];
    for (const pod of current.filter(isReady)) {
      const name = pod.metadata.name;
      if (!this.forwards.has(name)) {
        const opened = portForward(namespace, `pod/${name}`, 8080);
        opened.catch(() => undefined);
        this.forwards.set(name, opened);
      }
      const opened = await this.forwards.get(name)?.catch(() => undefined);
      if (opened !== undefined) usable.push({ pod: name, base: opened.base });
    }
    this.ready = usable;
  }

  pick(): { pod: string; base: string } | undefined {
    if (this.ready.length === 0) return undefined;
    return this.ready[this.next++ % this.ready.length];
  }

  close(): void {
    for (const opened of this.forwards.values())
      void opened.then(
        (f) => {
          f.stop();
        },
        () => undefined,
      );
  }
}
