// A real node leaves nothing behind when its plane stops (processes, mounts, network namespaces,
// the bridge, cgroups, runtime directories, CNI state), so the next run on the machine starts
// clean: two planes with a real node, one after the other, each running a pod, each cleaned up.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { kubectl } from "../../src/control-plane/control-plane.ts";
import { realNodeTaint, type RealNodeState } from "../../src/control-plane/real-node.ts";
import { startTestPlane } from "../../src/control-plane/test-plane.ts";
import { isAlive } from "../../src/control-plane/processes.ts";

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

/** Everything of `node` that could outlive it, as found on the machine now. */
function leftovers(node: RealNodeState, pids: readonly number[]): string[] {
  const found: string[] = [];
  for (const pid of pids) if (isAlive(pid)) found.push(`process ${pid}`);
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(node.containerdSocket))
        found.push(`process ${entry} (a shim of this node)`);
    } catch {
      // exited while we looked
    }
  }
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const point = line.split(" ")[4] ?? "";
    if ([node.dataDir, node.runDir].some((d) => point.startsWith(d))) found.push(`mount ${point}`);
  }
  if (existsSync(`/sys/class/net/${node.bridge}`)) found.push(`bridge ${node.bridge}`);
  for (const hierarchy of list("/sys/fs/cgroup")) {
    const cgroup = path.join("/sys/fs/cgroup", hierarchy, node.cgroupRoot);
    if (existsSync(cgroup)) found.push(`cgroup ${cgroup}`);
  }
  for (const dir of [node.dataDir, node.runDir])
    if (existsSync(dir)) found.push(`directory ${dir}`);
  for (const entry of list("/var/lib/cni/results"))
    if (readFileSync(path.join("/var/lib/cni/results", entry), "utf8").includes(node.runDir))
      found.push(`CNI result ${entry}`);
  return found;
}

/** A pod of the pause image on the real node: a sandbox, a container, a network namespace. */
function runPod(tools: { binary: () => string }, kubeconfig: string, image: string): void {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "sleeper", namespace: "default" },
    spec: {
      nodeSelector: { [realNodeTaint.key]: realNodeTaint.value },
      tolerations: [{ key: realNodeTaint.key, operator: "Exists", effect: "NoSchedule" }],
      automountServiceAccountToken: false,
      containers: [{ name: "sleeper", image, imagePullPolicy: "Never" }],
    },
  };
  kubectl(tools, kubeconfig, ["apply", "-f", "-"], stringify(pod));
  kubectl(tools, kubeconfig, ["wait", "--for=condition=Ready", "--timeout=120s", "pod/sleeper"]);
}

describe("a real node", () => {
  it("leaves nothing behind when its plane stops, so the next one starts clean", async () => {
    // Paths containerd and runc use by default: the node must use none of them.
    const defaults = ["/run/containerd/s", "/run/containerd/runc/k8s.io"].map(list);
    const namespaces = list("/run/netns");
    for (let run = 1; run <= 2; run++) {
      const plane = await startTestPlane(() => undefined, { realNode: true });
      const node = plane.state.realNode;
      if (node === undefined) throw new Error("no real node");
      const tools = { binary: () => plane.state.kubectl };
      runPod(tools, plane.state.kubeconfig, node.pauseImage);
      // While it runs, the node's traces are where the checks below look for them.
      const running = leftovers(node, []);
      expect(running).toContain(`bridge ${node.bridge}`);
      expect(running.some((l) => l.startsWith("mount "))).toBe(true);
      expect(running.some((l) => l.startsWith("cgroup "))).toBe(true);
      const pids = plane.state.processes.map((p) => p.pid);
      await plane.stop();
      expect(leftovers(node, pids), `run ${run}`).toEqual([]);
      expect(["/run/containerd/s", "/run/containerd/runc/k8s.io"].map(list)).toEqual(defaults);
      expect(list("/run/netns")).toEqual(namespaces);
      expect(spawnSync("ip", ["link", "show", node.bridge]).status).not.toBe(0);
    }
  });
});
