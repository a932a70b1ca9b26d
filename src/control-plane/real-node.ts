// A real node beside kwok's simulated one: containerd (with Debian's runc) and a kubelet, started
// by the plane and registered with its apiserver, so pods really run. Why and how, and the
// settings that matter on a cgroup v1 host without CAP_SYS_RESOURCE:
// docs/adr/0070-a-real-node-beside-kwok.md. Everything it leaves outside its own directories
// (the bridge, cgroups, mounts, shims) is recorded in RealNodeState and removed by cleanRealNode.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { chmod, mkdir, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { writeKubeconfig } from "./kubeconfig.ts";
import { createClientCert } from "./pki.ts";
import { freePort } from "./ports.ts";
import { isAlive, sleep, startProcess, type StartedProcess } from "./processes.ts";
import { ToolchainError } from "./go-toolchain.ts";
import { ensureNodeTools, type NodeTools, type Progress } from "./tool-builds.ts";
import { buildImageArchive } from "./image-archive.ts";

/** Pods opt in to the real node with this toleration (and the label as their node selector). */
export const realNodeTaint = {
  key: "callback-operator.io/real-node",
  value: "true",
  effect: "NoSchedule",
} as const;

/** The node's name: --hostname-override=localhost, so the apiserver reaches it on 127.0.0.1. */
export const realNodeName = "localhost";

/** What a running node left on the machine, so any process can stop it and clean up after it. */
export interface RealNodeState {
  readonly id: string;
  /** containerd's root (images, snapshots) and the kubelet's root directory. */
  readonly dataDir: string;
  /** containerd's state and sockets; short, because a unix socket path has at most 107 bytes. */
  readonly runDir: string;
  readonly containerdSocket: string;
  /** The kubelet's parent cgroup in every v1 hierarchy (and the unified one). */
  readonly cgroupRoot: string;
  readonly bridge: string;
  readonly subnet: string;
  /** The bridge's own address: the one host address pods can reach (PostgreSQL relays, …). */
  readonly gateway: string;
  readonly cniNetwork: string;
  readonly kubeletPort: number;
  readonly ctr: string;
  readonly pauseImage: string;
}

const cgroupFs = "/sys/fs/cgroup";

/** Debian's runc: containerd's shim runs it by absolute path. */
function requireRunc(): string {
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    const file = path.join(dir, "runc");
    if (dir !== "" && existsSync(file)) return file;
  }
  throw new ToolchainError(
    "runc is not installed: the real node runs its containers with it (apt-get install runc).",
  );
}

function requireRoot(): void {
  if (process.getuid?.() !== 0)
    throw new ToolchainError(
      "The real node needs root: it creates network namespaces, a bridge, cgroups and mounts.",
    );
}

/** The first free bridge index: two planes on one machine never share a bridge or a range. */
function freeBridgeIndex(): number {
  for (let i = 0; i < 64; i++) if (!existsSync(`/sys/class/net/cbo${i}`)) return i;
  throw new Error("No free bridge name cbo0..cbo63: clean up with `npm run cluster:down`.");
}

/** The v1 hierarchies (and the unified one) a cgroupfs kubelet and runc write into. */
function cgroupHierarchies(): string[] {
  return readdirSync(cgroupFs).map((name) => path.join(cgroupFs, name));
}

interface StartRealNodeOptions {
  readonly planeDir: string;
  readonly pkiDir: string;
  readonly server: string;
  readonly kubectl: (args: readonly string[], input?: string) => string;
  readonly progress: Progress;
  /** Records each process as it starts, so a failure half-way still stops it. */
  readonly onProcess: (p: StartedProcess, node: RealNodeState) => Promise<void>;
}

/** Starts containerd and a kubelet and waits until the node is Ready. */
export async function startRealNode(
  options: StartRealNodeOptions,
): Promise<{ node: RealNodeState; tools: NodeTools }> {
  requireRoot();
  const runc = requireRunc();
  const tools = await ensureNodeTools(options.progress);
  const id = randomBytes(4).toString("hex");
  const index = freeBridgeIndex();
  const node: RealNodeState = {
    id,
    dataDir: path.join("/var/lib/callback-operator", id),
    runDir: path.join("/run/callback-operator", id),
    containerdSocket: path.join("/run/callback-operator", id, "containerd.sock"),
    cgroupRoot: `/callback-operator-${id}`,
    bridge: `cbo${index}`,
    subnet: `10.88.${index}.0/24`,
    gateway: `10.88.${index}.1`,
    cniNetwork: `callback-operator-${id}`,
    kubeletPort: await freePort(),
    ctr: tools.ctr,
    // Each node starts with an empty containerd root, so a fixed tag never names a stale build.
    pauseImage: "localhost/callback-operator/pause:1",
  };
  const logs = path.join(options.planeDir, "logs");
  await mkdir(logs, { recursive: true });
  for (const dir of ["containerd", "kubelet", "cni/net.d", "cni/ipam", "pod-logs", "plugins"])
    await mkdir(path.join(node.dataDir, dir), { recursive: true });
  await mkdir(path.join(node.runDir, "s"), { recursive: true });
  createCgroupRoot(node.cgroupRoot);

  createBridge(node);
  const containerdConfig = path.join(node.dataDir, "containerd.toml");
  await writeFile(containerdConfig, containerdToml(node, tools, runc));
  await writeFile(path.join(node.dataDir, "cni/net.d/10-bridge.conflist"), cniConfig(node));
  options.progress(
    `Starting containerd (real node ${node.id}, bridge ${node.bridge} ${node.subnet})`,
  );
  const containerd = startProcess(
    "containerd",
    tools.containerd,
    [`--config=${containerdConfig}`],
    path.join(logs, "containerd.log"),
    { PATH: `${tools.shimDir}:${process.env["PATH"] ?? ""}` },
  );
  await options.onProcess(containerd, node);
  await waitFor(
    "containerd",
    () => existsSync(node.containerdSocket) && ctr(node, ["version"]).status === 0,
    containerd,
    30_000,
  );

  options.progress("Importing the pause image");
  const pauseArchive = path.join(node.dataDir, "pause.tar");
  await buildImageArchive(tools.imageAssembler, {
    reference: node.pauseImage,
    output: pauseArchive,
    layers: [
      {
        comment: "pause (src/control-plane/go/pause)",
        entries: [
          { path: "pause", type: "file", source: tools.pause, mode: 0o755, uid: 0, gid: 0 },
        ],
      },
    ],
    config: { Entrypoint: ["/pause"], User: "65535:65535" },
  });
  importImage(node, pauseArchive);

  options.progress("Starting the kubelet");
  const credentials = await createClientCert(
    { dir: options.pkiDir },
    `system:node:${realNodeName}`,
    ["system:nodes"],
  );
  const kubeconfig = path.join(node.dataDir, "kubelet.kubeconfig");
  await writeKubeconfig(
    kubeconfig,
    options.server,
    { file: path.join(options.pkiDir, "ca.crt") },
    `system:node:${realNodeName}`,
    { clientCertificate: credentials.cert, clientKey: credentials.key },
  );
  // The plane authorizes by RBAC only (no Node authorizer): the node's group gets system:node.
  options.kubectl(
    ["apply", "--server-side", "--field-manager=callback-operator-test", "-f", "-"],
    stringify(nodeRoleBinding),
  );
  const kubeletConfig = path.join(node.dataDir, "kubelet.yaml");
  await writeFile(kubeletConfig, stringify(kubeletConfiguration(node, options.pkiDir)));
  const kubelet = startProcess(
    "kubelet",
    tools.kubelet,
    [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${path.join(node.dataDir, "kubelet")}`,
      `--hostname-override=${realNodeName}`,
      `--node-labels=${realNodeTaint.key}=${realNodeTaint.value}`,
      "--v=1",
    ],
    path.join(logs, "kubelet.log"),
  );
  await options.onProcess(kubelet, node);
  await waitFor("kubelet", () => nodeReady(options.kubectl), kubelet, 60_000);
  await createLocalVolumes(node, options.kubectl);
  return { node, tools };
}

function ctr(node: RealNodeState, args: readonly string[]): ReturnType<typeof spawnSync> {
  return spawnSync(
    node.ctr,
    ["--address", node.containerdSocket, "--namespace", "k8s.io", ...args],
    {
      encoding: "utf8",
    },
  );
}

/** Loads an image archive into the node's containerd, where the kubelet finds it without a pull. */
export function importImage(node: RealNodeState, archive: string): void {
  const result = ctr(node, ["images", "import", "--platform", "linux/amd64", archive]);
  if (result.status !== 0)
    throw new Error(`ctr images import ${archive} failed: ${String(result.stderr)}`);
}

/** A second name for an image already in the node (an upgrade to another reference of it). */
export function tagImage(node: RealNodeState, from: string, to: string): void {
  const result = ctr(node, ["images", "tag", "--force", from, to]);
  if (result.status !== 0) throw new Error(`ctr images tag ${to} failed: ${String(result.stderr)}`);
}

function nodeReady(kubectl: StartRealNodeOptions["kubectl"]): boolean {
  try {
    const status = kubectl([
      "get",
      "node",
      realNodeName,
      "-o",
      "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
    ]);
    return status.trim() === "True";
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  ready: () => boolean,
  process: StartedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (!isAlive(process.pid))
      throw new Error(
        `${what} exited during start-up; see ${process.logFile}:\n${tail(process.logFile)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${what} was not ready after ${timeoutMs / 1000} s; see ${process.logFile}:\n${tail(process.logFile)}`,
      );
    await sleep(200);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/** Local volumes the plane offers on the real node: a pool, no provisioner. */
const localVolumes = { count: 8, capacity: "1Gi", storageClass: "real-node-local" } as const;

/**
 * The default StorageClass, bound on the real node: a pool of local PersistentVolumes, each a
 * directory under the node's data directory (removed with it). Claims bind when their pod is
 * scheduled (WaitForFirstConsumer), so they land where the volume is.
 */
async function createLocalVolumes(
  node: RealNodeState,
  kubectl: StartRealNodeOptions["kubectl"],
): Promise<void> {
  const objects: unknown[] = [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: localVolumes.storageClass,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Retain",
    },
    // The plane's class for kwok's node stops being a default: its host-path directories belong
    // to root, and a claim of the real node's pods must land on these volumes.
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: "plane-hostpath",
        annotations: { "storageclass.kubernetes.io/is-default-class": "false" },
      },
      provisioner: "kubernetes.io/host-path",
      reclaimPolicy: "Delete",
      volumeBindingMode: "Immediate",
    },
  ];
  for (let i = 0; i < localVolumes.count; i++) {
    const dir = path.join(node.dataDir, "volumes", `pv-${i}`);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    await chmod(dir, 0o777); // any pod user may write, as on a fresh disk of a real cluster
    objects.push({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `real-node-local-${i}` },
      spec: {
        capacity: { storage: localVolumes.capacity },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: localVolumes.storageClass,
        local: { path: dir },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: "kubernetes.io/hostname", operator: "In", values: [realNodeName] },
                ],
              },
            ],
          },
        },
      },
    });
  }
  kubectl(
    ["apply", "--server-side", "--field-manager=callback-operator-test", "-f", "-"],
    objects.map((o) => stringify(o)).join("---\n"),
  );
}

const nodeRoleBinding = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "callback-operator-test:nodes" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:node" },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:nodes" }],
};

/**
 * A cgroup of our own in every hierarchy, the kubelet's cgroupRoot: its pods never mix with
 * another plane's, and cleaning up removes exactly this subtree. A new cpuset cgroup starts with
 * no CPUs and no memory nodes, so it copies its parent's.
 */
function createCgroupRoot(root: string): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = path.join(hierarchy, root);
    mkdirSync(dir, { recursive: true });
    if (path.basename(hierarchy) === "cpuset") {
      for (const file of ["cpuset.cpus", "cpuset.mems"])
        writeFileSync(path.join(dir, file), readFileSync(path.join(hierarchy, file), "utf8"));
    }
  }
}

/**
 * The bridge with its gateway address, before any pod: the CNI bridge plugin would create it only
 * with the first pod, and servers for pods (a PostgreSQL relay) listen on that address.
 */
function createBridge(node: RealNodeState): void {
  const prefix = node.subnet.split("/")[1] ?? "24";
  for (const args of [
    ["link", "add", node.bridge, "type", "bridge"],
    ["addr", "add", `${node.gateway}/${prefix}`, "dev", node.bridge],
    ["link", "set", node.bridge, "up"],
  ]) {
    const result = spawnSync("ip", args, { encoding: "utf8" });
    if (result.status !== 0)
      throw new Error(
        `ip ${args.join(" ")} failed: ${result.stderr.trim() || String(result.error)}`,
      );
  }
}

function containerdToml(node: RealNodeState, tools: NodeTools, runc: string): string {
  const q = (value: string): string => JSON.stringify(value);
  return `# Generated for the real node ${node.id} (src/control-plane/real-node.ts).
version = 4
root = ${q(path.join(node.dataDir, "containerd"))}
state = ${q(path.join(node.runDir, "state"))}
imports = []
# Nothing here is wanted: no registry, no block devices, no NRI plugins.
disabled_plugins = [
  "io.containerd.nri.v1.nri",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs",
  "io.containerd.differ.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[plugins]
  [plugins.'io.containerd.server.v1.grpc']
    address = ${q(node.containerdSocket)}

  [plugins.'io.containerd.server.v1.ttrpc']
    address = ${q(`${node.containerdSocket}.ttrpc`)}

  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = ${q(node.pauseImage)}

  [plugins.'io.containerd.cri.v1.runtime']
    # The host lacks CAP_SYS_RESOURCE: nothing may lower oom_score_adj, or every sandbox fails
    # with "can't get final child's PID from pipe: EOF".
    restrict_oom_score_adj = true
    # Network namespaces in our state directory, not /run/netns, so cleaning up finds them all.
    netns_mounts_under_state_dir = true
    cdi_spec_dirs = []
    enable_criu = false
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = ${q(runc)}
          # runc's state, by default in /run/containerd/runc: ours stays in our directory.
          Root = ${q(path.join(node.runDir, "runc"))}
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [${q(tools.cniBinDir)}]
      conf_dir = ${q(path.join(node.dataDir, "cni/net.d"))}
      max_conf_num = 1

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

  [plugins.'io.containerd.shim.v1.manager']
    # Not the hard-coded /run/containerd/s: each node's shim sockets stay in its own directory.
    socket_dir = ${q(path.join(node.runDir, "s"))}

  [plugins.'io.containerd.internal.v1.opt']
    path = ${q(path.join(node.dataDir, "opt"))}

  [plugins.'io.containerd.image-verifier.v1.bindir']
    bin_dir = ${q(path.join(node.dataDir, "image-verifier"))}
`;
}

/** A bridge on a small private range, no masquerading and no default route: pods reach nothing outside. */
function cniConfig(node: RealNodeState): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: node.cniNetwork,
      plugins: [
        {
          type: "bridge",
          bridge: node.bridge,
          isGateway: true,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: node.subnet, gateway: node.gateway }]],
            dataDir: path.join(node.dataDir, "cni/ipam"),
          },
        },
      ],
    },
    null,
    2,
  );
}

function kubeletConfiguration(node: RealNodeState, pkiDir: string): Record<string, unknown> {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // Kubelet ≥ 1.35 refuses a cgroup v1 host unless told otherwise; this machine has v1.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: node.cgroupRoot,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${node.containerdSocket}`,
    imageServiceEndpoint: `unix://${node.containerdSocket}`,
    // Loopback only: the apiserver reaches the kubelet on 127.0.0.1 (the Hostname address).
    address: "127.0.0.1",
    port: node.kubeletPort,
    readOnlyPort: 0,
    healthzPort: 0,
    staticPodPath: "",
    makeIPTablesUtilChains: false,
    // Nothing may be pulled back: never collect images, evict only on a nearly full disk.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      "memory.available": "50Mi",
      "nodefs.available": "1%",
      "nodefs.inodesFree": "1%",
      "imagefs.available": "1%",
    },
    // Anonymous and always allowed, on 127.0.0.1 only: the apiserver presents no client cert.
    authentication: {
      anonymous: { enabled: true },
      webhook: { enabled: false },
      x509: { clientCAFile: path.join(pkiDir, "ca.crt") },
    },
    authorization: { mode: "AlwaysAllow" },
    registerWithTaints: [realNodeTaint],
    // No host resolver inside pods: they resolve nothing and reach nothing outside the plane.
    resolvConf: "",
    podLogsDir: path.join(node.dataDir, "pod-logs"),
    volumePluginDir: path.join(node.dataDir, "plugins"),
    rotateCertificates: false,
    serverTLSBootstrap: false,
    maxPods: 30,
    shutdownGracePeriod: "0s",
    nodeStatusReportFrequency: "10s",
  };
}

/**
 * Removes everything a real node left, in the order that works: the kubelet and containerd are
 * already stopped (they are plane processes); then the shims and every process in the node's
 * cgroups, every mount under its directories, the bridge, the cgroups and the directories.
 * Safe to run twice and on a half-started node.
 */
export async function cleanRealNode(node: RealNodeState): Promise<void> {
  await killNodeProcesses(node);
  unmountUnder([node.dataDir, node.runDir]);
  if (existsSync(`/sys/class/net/${node.bridge}`))
    spawnSync("ip", ["link", "delete", node.bridge], { encoding: "utf8" });
  await removeCgroups(node.cgroupRoot);
  await rm(node.dataDir, { recursive: true, force: true });
  await rm(node.runDir, { recursive: true, force: true });
  for (const dir of ["/var/lib/callback-operator", "/run/callback-operator"])
    await rmdir(dir).catch(() => undefined); // only when no other node uses it
  // The CNI library caches results under /var/lib/cni whatever the configuration says.
  await removeCniCache(node.runDir);
}

/**
 * Every process in the node's cgroups (containers, pause), then the shims, found by our
 * containerd's socket on their command line. Containers first, so that their shim still reaps
 * them: a shim's own parent is PID 1, which on some machines never reaps (it stays a zombie, which
 * holds nothing).
 */
async function killNodeProcesses(node: RealNodeState): Promise<void> {
  await killUntilGone(() => cgroupPids(node.cgroupRoot));
  await killUntilGone(() => shimPids(node.containerdSocket));
}

async function killUntilGone(find: () => number[]): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = find().filter((pid) => pid !== process.pid && isAlive(pid));
    if (pids.length === 0) return;
    for (const pid of pids) signal(pid, "SIGKILL");
    await sleep(100);
  }
}

/** Processes started with our containerd's socket on their command line: its shims. */
function shimPids(socket: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => readOrEmpty(`/proc/${entry}/cmdline`).includes(socket))
    .map(Number);
}

function cgroupPids(root: string): number[] {
  return cgroupHierarchies()
    .flatMap((hierarchy) => cgroupTree(path.join(hierarchy, root)))
    .flatMap((dir) => readOrEmpty(path.join(dir, "cgroup.procs")).split("\n"))
    .filter((line) => line !== "")
    .map(Number);
}

/** A file's text, or "" when it is gone (processes and cgroups vanish while we read). */
function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A cgroup and its descendants, deepest first. */
function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) out.push(...cgroupTree(path.join(dir, entry.name)));
  out.push(dir);
  return out;
}

async function removeCgroups(root: string): Promise<void> {
  const dirs = cgroupHierarchies().flatMap((hierarchy) => cgroupTree(path.join(hierarchy, root)));
  for (const dir of dirs) await removeCgroup(dir);
}

async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      await sleep(100); // a killed process leaves its cgroup a moment later
    }
  }
}

/** Unmounts every mount point under the directories, deepest first (overlays, netns, tmpfs). */
function unmountUnder(dirs: readonly string[]): void {
  for (let round = 0; round < 5; round++) {
    const points = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((line) => line.split(" ")[4] ?? "")
      .map((p) => p.replace(/\\040/g, " "))
      .filter((p) => dirs.some((d) => p === d || p.startsWith(`${d}/`)))
      .sort((a, b) => b.length - a.length);
    if (points.length === 0) return;
    for (const point of points) spawnSync("umount", ["--lazy", point]);
  }
}

/** Cached CNI results of this node's pods: they name network namespaces under its runDir. */
async function removeCniCache(runDir: string): Promise<void> {
  const results = "/var/lib/cni/results";
  if (!existsSync(results)) return;
  for (const entry of await readdir(results)) {
    const file = path.join(results, entry);
    if (readOrEmpty(file).includes(`"${runDir}/`)) await rm(file, { force: true });
  }
  // Left only if something else uses it.
  await rmdir(results).catch(() => undefined);
  await rmdir("/var/lib/cni").catch(() => undefined);
}
