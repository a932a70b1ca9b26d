import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { waitHealthy } from "./health.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { createClientCert, createPki, type Pki } from "./pki.ts";
import { freePort, socketsOnPort } from "./ports.ts";
import { isAlive, sleep, startProcess, stopGroup, type StartedProcess } from "./processes.ts";
import { cleanRealNode, startRealNode, type RealNodeState } from "./real-node.ts";
import { ensureTools, goModuleDir, type Progress, type ToolPaths } from "./tool-builds.ts";
import { versions } from "./versions.ts";

/** What a running plane leaves on disk in state.json, so any process can find and stop it. */
export interface PlaneState {
  readonly dir: string;
  /** The process whose death must take the plane down (a test run); null for `cluster:up`. */
  readonly ownerPid: number | null;
  readonly server: string;
  readonly kubeconfig: string;
  readonly kubectl: string;
  readonly pkiDir: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly processes: readonly StartedProcess[];
  readonly startedAt: string;
  readonly startSeconds: number;
  /** The real node beside kwok's, when one was started (docs/adr/0070-a-real-node-beside-kwok.md). */
  readonly realNode?: RealNodeState;
}

const stateFileName = "state.json";

export function stateFile(dir: string): string {
  return path.join(dir, stateFileName);
}

export async function readState(dir: string): Promise<PlaneState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), "utf8")) as PlaneState;
  } catch {
    return undefined;
  }
}

/** True when every component of the plane still runs and the API server answers. */
export function isRunning(state: PlaneState): boolean {
  return state.processes.every((p) => isAlive(p.pid));
}

export interface StartOptions {
  readonly dir: string;
  readonly ownerPid: number | null;
  readonly progress: Progress;
  /** Also start a real node (containerd and a kubelet) beside kwok's. */
  readonly realNode?: boolean;
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, and
 * the real node if asked.
 */
export async function startPlane({
  dir,
  ownerPid,
  progress,
  realNode = false,
}: StartOptions): Promise<PlaneState> {
  const tools = await ensureTools(progress);
  const started = Date.now();
  await rm(path.join(dir, "etcd"), { recursive: true, force: true });
  const logs = path.join(dir, "logs");
  await mkdir(logs, { recursive: true });
  await mkdir(path.join(dir, "pki"), { recursive: true });
  const pki = await createPki(path.join(dir, "pki"));
  const ports = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const processes: StartedProcess[] = [];
  const kubeconfig = path.join(dir, "kubeconfig");
  const state: PlaneState = {
    dir,
    ownerPid,
    server,
    kubeconfig,
    kubectl: tools.binary("kubectl"),
    pkiDir: pki.dir,
    ports,
    processes,
    startedAt: new Date().toISOString(),
    startSeconds: 0,
  };
  // Written before the first process starts, so a crash mid-start still leaves a reapable record.
  const save = (): Promise<void> => writeFile(stateFile(dir), JSON.stringify(state, null, 2));
  const launch = async (name: string, args: readonly string[]): Promise<StartedProcess> => {
    const started = startProcess(name, tools.binary(name), args, path.join(logs, `${name}.log`));
    processes.push(started);
    await save();
    return started;
  };
  await save();
  try {
    progress("Starting etcd");
    const etcd = await launch("etcd", etcdArgs(dir, ports.etcdClient, ports.etcdPeer));
    await waitHealthy(
      "etcd",
      { url: `http://127.0.0.1:${ports.etcdClient}/health` },
      waitOptions(etcd, 30_000),
    );

    progress("Starting kube-apiserver");
    await writeFile(path.join(dir, "audit-policy.yaml"), stringify(auditPolicy));
    const apiserver = await launch(
      "kube-apiserver",
      apiserverArgs(pki, ports.apiserver, ports.etcdClient, dir),
    );
    const ca = await readFile(pki.caCert, "utf8");
    await waitHealthy(
      "kube-apiserver",
      { url: `${server}/readyz`, ca },
      waitOptions(apiserver, 90_000),
    );

    const admin = await createClientCert(pki, "admin", ["system:masters"]);
    await writeKubeconfig(kubeconfig, server, { file: pki.caCert }, "admin", {
      clientCertificate: admin.cert,
      clientKey: admin.key,
    });

    // CRDs before kube-controller-manager, so its garbage collector discovers them at once.
    progress(`Installing Gateway API v${versions.gatewayApi} standard CRDs`);
    await installGatewayApi(tools, kubeconfig, path.join(logs, "go.log"));

    progress("Starting kube-controller-manager, kube-scheduler and kwok");
    const kcm = await launch(
      "kube-controller-manager",
      controllerManagerArgs(kubeconfig, pki, ports.controllerManager),
    );
    const scheduler = await launch("kube-scheduler", schedulerArgs(kubeconfig, ports.scheduler));
    const kwokConfig = await writeKwokConfig(dir, path.join(logs, "go.log"));
    await launch("kwok", kwokArgs(kubeconfig, kwokConfig));
    await waitHealthy(
      "kube-controller-manager",
      { url: `https://127.0.0.1:${ports.controllerManager}/healthz` },
      waitOptions(kcm, 60_000),
    );
    await waitHealthy(
      "kube-scheduler",
      { url: `https://127.0.0.1:${ports.scheduler}/healthz` },
      waitOptions(scheduler, 60_000),
    );
    createFakeNode(tools, kubeconfig);
    createDefaultStorageClass(tools, kubeconfig);
    const ready: PlaneState = { ...state, startSeconds: (Date.now() - started) / 1000 };
    await writeFile(stateFile(dir), JSON.stringify(ready, null, 2));
    return realNode ? await addRealNode(dir, progress) : ready;
  } catch (error) {
    await stopPlane((await readState(dir)) ?? state);
    throw error;
  }
}

/**
 * Starts the real node on a running plane (`cluster:up -- --real-node` on a plane started
 * without one). Its processes and what it leaves on the machine are recorded in the state file as
 * they start, so that stopPlane (or a guardian) cleans up even after a failure half-way.
 */
export async function addRealNode(dir: string, progress: Progress): Promise<PlaneState> {
  const state = await readState(dir);
  if (state === undefined) throw new Error(`No running plane in ${dir}`);
  if (state.realNode !== undefined) return state;
  const started = Date.now();
  const tools = { binary: () => state.kubectl };
  let current: PlaneState = state;
  const { node } = await startRealNode({
    planeDir: dir,
    pkiDir: state.pkiDir,
    server: state.server,
    kubectl: (args, input) => kubectl(tools, state.kubeconfig, args, input),
    progress,
    onProcess: async (p, recorded) => {
      current = { ...current, realNode: recorded, processes: [...current.processes, p] };
      await writeFile(stateFile(dir), JSON.stringify(current, null, 2));
    },
  });
  current = { ...current, realNode: node };
  await writeFile(stateFile(dir), JSON.stringify(current, null, 2));
  progress(`Real node ${node.id} Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return current;
}

function waitOptions(
  p: StartedProcess,
  timeoutMs: number,
): { timeoutMs: number; alive: () => boolean; logFile: string } {
  return { timeoutMs, alive: () => isAlive(p.pid), logFile: p.logFile };
}

function etcdArgs(dir: string, client: number, peer: number): string[] {
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  return [
    "--name=default",
    `--data-dir=${path.join(dir, "etcd")}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    // Test data is disposable; fsync on every write would make the suite disk-bound.
    "--unsafe-no-fsync=true",
    "--auto-compaction-retention=1",
    "--quota-backend-bytes=8589934592",
    "--log-level=warn",
  ];
}

/**
 * Audit of every write to the operator's kinds and its children's (metadata only: who, which
 * user agent, when, what answer), so that tests can prove who wrote what — never two leaders.
 */
const auditPolicy = {
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [
    {
      level: "Metadata",
      verbs: ["create", "update", "patch", "delete"],
      resources: [
        { group: "callback-operator.io" },
        { group: "", resources: ["configmaps", "services"] },
        { group: "apps", resources: ["deployments", "statefulsets"] },
        { group: "networking.k8s.io", resources: ["ingresses"] },
        { group: "gateway.networking.k8s.io", resources: ["httproutes"] },
      ],
    },
    { level: "None" },
  ],
};

/** The JSON-lines audit log of a plane (see auditPolicy). */
export function auditLogPath(dir: string): string {
  return path.join(dir, "logs", "audit.log");
}

function apiserverArgs(pki: Pki, port: number, etcdPort: number, dir: string): string[] {
  return [
    `--audit-policy-file=${path.join(dir, "audit-policy.yaml")}`,
    `--audit-log-path=${auditLogPath(dir)}`,
    "--audit-log-format=json",
    "--audit-log-maxsize=200",
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    // Virtual addresses only (nothing routes them here); a /16 holds the benchmarks' 10,000 Services.
    "--service-cluster-ip-range=10.0.0.0/16",
    "--allow-privileged=true",
    // ServiceAccount: as in envtest, otherwise every Pod waits for a "default" ServiceAccount.
    // TaintNodesByCondition: it taints new nodes not-ready, and only the node-lifecycle
    // controller (not run here: it would also taint kwok's node) removes that taint.
    "--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
    // As OpenShift does: setting blockOwnerDeletion needs update on the owner's finalizers, so
    // the RBAC tests prove the chart grants it.
    "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
    // 1.37 rejects a loopback advertise address with the default lease endpoint reconciler.
    "--advertise-address=127.0.0.1",
    "--endpoint-reconciler-type=none",
    // The real node's kubelet listens on 127.0.0.1, named by its Hostname address (localhost):
    // never dial the host's other addresses.
    "--kubelet-preferred-address-types=Hostname",
    "--profiling=false",
  ];
}

function controllerManagerArgs(kubeconfig: string, pki: Pki, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // statefulset: the embedded database's workload. persistentvolume-binder: its claims bind to
    // the real node's local volumes, or on kwok's node to the host-path provisioner's (below).
    "--controllers=garbage-collector-controller,deployment-controller,replicaset-controller,statefulset-controller,namespace-controller,serviceaccount-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller,persistentvolume-binder-controller",
    // Kubernetes' own provisioner for tests: a claim of the plane's default StorageClass gets an
    // empty directory under /tmp/hostpath_pv, removed when the claim is deleted. kwok's pods never
    // mount it; the real node has its own local volumes (real-node.ts).
    "--enable-hostpath-provisioner",
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    "--kube-api-qps=200",
    "--kube-api-burst=400",
    "--concurrent-gc-syncs=40",
  ];
}

function schedulerArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
  ];
}

function kwokArgs(kubeconfig: string, config: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--config=${config}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    "--cidr=10.244.0.0/24",
    "--node-lease-duration-seconds=40",
  ];
}

/** The bare kwok binary refuses to run without stages; these are the ones kwokctl injects. */
async function writeKwokConfig(dir: string, logFile: string): Promise<string> {
  const kwokDir = await goModuleDir("sigs.k8s.io/kwok", versions.kwok, logFile);
  const stages = [
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
  ];
  const docs = await Promise.all(stages.map((s) => readFile(path.join(kwokDir, s), "utf8")));
  const file = path.join(dir, "kwok.yaml");
  await writeFile(file, docs.map((d) => d.trim()).join("\n---\n") + "\n");
  return file;
}

export function kubectl(
  tools: Pick<ToolPaths, "binary">,
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): string {
  const result = spawnSync(tools.binary("kubectl"), [`--kubeconfig=${kubeconfig}`, ...args], {
    encoding: "utf8",
    ...(input === undefined ? {} : { input }),
  });
  if (result.status !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} failed: ${result.stderr.trim() || String(result.error)}`,
    );
  }
  return result.stdout;
}

/** Standard-channel Gateway API CRDs, read from the Go module cache at run time, never vendored. */
async function installGatewayApi(
  tools: ToolPaths,
  kubeconfig: string,
  logFile: string,
): Promise<void> {
  const dir = await goModuleDir("sigs.k8s.io/gateway-api", versions.gatewayApi, logFile);
  const standard = path.join(dir, "config", "crd", "standard");
  kubectl(tools, kubeconfig, [
    "apply",
    "--server-side",
    "--field-manager=callback-operator-test",
    "-f",
    standard,
  ]);
  kubectl(tools, kubeconfig, [
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd",
    "--all",
  ]);
}

/**
 * A default StorageClass, so that a claim without a class (the embedded database's, by default)
 * binds on the kwok node as it would on a cluster with a provisioner.
 */
function createDefaultStorageClass(tools: ToolPaths, kubeconfig: string): void {
  const storageClass = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: "plane-hostpath",
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: "kubernetes.io/host-path",
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  };
  kubectl(
    tools,
    kubeconfig,
    ["apply", "--server-side", "--field-manager=callback-operator-test", "-f", "-"],
    stringify(storageClass),
  );
}

function createFakeNode(tools: ToolPaths, kubeconfig: string): void {
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: "kwok-node-0",
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": "kwok-node-0",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
      },
    },
    // Room for the benchmarks' 10,000 services (50m CPU and up to 640Mi each, the embedded
    // PGlite default): kwok's pods cost nothing.
    status: {
      allocatable: { cpu: "1000", memory: "16Ti", pods: "20000" },
      capacity: { cpu: "1000", memory: "16Ti", pods: "20000" },
    },
  };
  kubectl(
    tools,
    kubeconfig,
    ["apply", "--server-side", "--field-manager=callback-operator-test", "-f", "-"],
    stringify(node),
  );
  kubectl(tools, kubeconfig, [
    "wait",
    "--for=condition=Ready",
    "--timeout=60s",
    "node/kwok-node-0",
  ]);
}

/** The components a fault test restarts, and the port each one's health answers on. */
const componentPorts = {
  etcd: "etcdClient",
  "kube-apiserver": "apiserver",
  "kube-controller-manager": "controllerManager",
  "kube-scheduler": "scheduler",
} as const;
export type RestartableComponent = keyof typeof componentPorts;

/**
 * Kills one component (SIGKILL: a crash, not a shutdown), leaves it down for `downMs`, starts it
 * again with the same arguments and waits until it is healthy. etcd keeps its data directory.
 * The state file records the new pid, so teardown and the guardian stop the new process.
 */
export async function restartComponent(
  dir: string,
  name: RestartableComponent,
  downMs = 0,
): Promise<void> {
  const state = await readState(dir);
  const old = state?.processes.find((p) => p.name === name);
  if (state === undefined || old === undefined)
    throw new Error(`No ${name} in the plane at ${dir}`);
  await stopGroup(old.pid, 0);
  await sleep(downMs);
  const port = state.ports[componentPorts[name]] ?? 0;
  const probe = await healthProbe(name, state, port);
  // The old process's port is usually free at once; seen in CI, it sometimes is not (the new
  // apiserver exited with EADDRINUSE and every later test failed). Retry for a minute, which
  // outlasts orphaned sockets, and name whoever holds the port if it never comes free.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const logStart = await fileSize(old.logFile);
    const started = startProcess(name, old.command, old.args, old.logFile);
    const processes = state.processes.map((p) => (p === old ? started : p));
    await writeFile(stateFile(dir), JSON.stringify({ ...state, processes }, null, 2));
    try {
      await waitHealthy(name, probe, waitOptions(started, 90_000));
      return;
    } catch (error) {
      const log = (await readFile(old.logFile, "utf8")).slice(logStart);
      if (!log.includes("address already in use")) throw error;
      const holders = socketsOnPort(port);
      if (Date.now() > deadline) {
        throw new Error(
          `${name} could not listen on 127.0.0.1:${String(port)} again for 60 s; sockets on it: ${holders.join(", ") || "none"}`,
          { cause: error },
        );
      }
      await appendFile(
        old.logFile,
        `callback-operator: port ${String(port)} still taken (${holders.join(", ") || "no socket found"}); starting ${name} again in 1 s\n`,
      );
      await sleep(1_000);
    }
  }
}

/** Where a restarted component says it is healthy, as startPlane waits for it. */
async function healthProbe(
  name: RestartableComponent,
  state: PlaneState,
  port: number,
): Promise<{ url: string; ca?: string }> {
  switch (name) {
    case "etcd":
      return { url: `http://127.0.0.1:${String(port)}/health` };
    case "kube-apiserver":
      return {
        url: `${state.server}/readyz`,
        ca: await readFile(path.join(state.pkiDir, "ca.crt"), "utf8"),
      };
    case "kube-controller-manager":
    case "kube-scheduler":
      return { url: `https://127.0.0.1:${String(port)}/healthz` };
  }
}

async function fileSize(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.size ?? 0;
}

/** Stops components in reverse start order, then removes etcd's data; logs stay for debugging. */
export async function stopPlane(state: PlaneState): Promise<void> {
  // The file is the truth: a fault test may have restarted a component since `state` was read.
  const current = (await readState(state.dir)) ?? state;
  // The kubelet and containerd started last, so they stop first; then what they left behind.
  for (const p of [...current.processes].reverse()) await stopGroup(p.pid);
  if (current.realNode !== undefined) await cleanRealNode(current.realNode);
  await rm(path.join(state.dir, "etcd"), { recursive: true, force: true });
  await rm(stateFile(state.dir), { force: true });
}

/**
 * Stops the planes of test runs whose owner died (a SIGKILLed vitest, a crashed CI job), and
 * prunes old run directories. Returns how many planes were reaped.
 */
export async function reapOrphanedPlanes(runsDir: string, keep = 5): Promise<number> {
  if (!existsSync(runsDir)) return 0;
  const entries = (await readdir(runsDir)).sort();
  let reaped = 0;
  for (const entry of entries) {
    const state = await readState(path.join(runsDir, entry));
    if (state?.ownerPid != null && !isAlive(state.ownerPid)) {
      await stopPlane(state);
      reaped++;
    }
  }
  const finished = [];
  for (const entry of entries) {
    if ((await readState(path.join(runsDir, entry))) === undefined) finished.push(entry);
  }
  for (const entry of finished.slice(0, Math.max(0, finished.length - keep))) {
    await rm(path.join(runsDir, entry), { recursive: true, force: true });
  }
  return reaped;
}

/**
 * Runs in a detached process beside a test run: once the owner is gone, however it died (even
 * SIGKILL, which runs no teardown), it stops whatever the plane had started.
 */
export async function guard(dir: string, ownerPid: number): Promise<void> {
  while (isAlive(ownerPid)) await sleep(500);
  const state = await readState(dir);
  if (state !== undefined) await stopPlane(state);
}
