// The commands around the plane: cluster:up reuses a running plane, cluster:down leaves nothing
// behind, and a test run killed with SIGKILL leaves nothing running. Each case uses a scratch
// CALLBACK_OPERATOR_CLUSTER_DIR so a developer's own plane is never touched.
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import {
  readState,
  reapOrphanedPlanes,
  type PlaneState,
} from "../../src/control-plane/control-plane.ts";
import { repoRoot } from "../../src/control-plane/paths.ts";
import { isPortBound } from "../../src/control-plane/ports.ts";
import { isAlive } from "../../src/control-plane/processes.ts";

function scratchEnv(): NodeJS.ProcessEnv {
  // Inside the repository (.cluster/ is ignored): the plane writes a kubectl wrapper into its
  // directory, and the program guard lets tests run only the repository's and the tool cache's.
  const parent = path.join(repoRoot, ".cluster");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, "scratch-"));
  scratchDirs.push(dir);
  return { ...process.env, CALLBACK_OPERATOR_CLUSTER_DIR: dir };
}

const scratchDirs: string[] = [];
afterAll(() => {
  // A test that failed half-way leaves its plane running: stop it before removing its directory.
  for (const dir of scratchDirs) {
    cli("down", { ...process.env, CALLBACK_OPERATOR_CLUSTER_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  }
});

function cli(command: string, env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const script = path.join(repoRoot, "src/control-plane/cli.ts");
  const result = spawnSync(process.execPath, [script, command], { env, encoding: "utf8" });
  return { status: result.status, stderr: result.stderr };
}

async function boundPorts(state: PlaneState): Promise<number[]> {
  const bound = [];
  for (const port of Object.values(state.ports)) if (await isPortBound(port)) bound.push(port);
  return bound;
}

const pids = (state: PlaneState): number[] => state.processes.map((p) => p.pid);

describe("cluster:up and cluster:down", () => {
  it("starts one plane when run twice, and down leaves no process and no bound port", async () => {
    const env = scratchEnv();
    const dir = env["CALLBACK_OPERATOR_CLUSTER_DIR"] ?? "";
    expect(cli("up", env).status).toBe(0);
    const first = await readState(dir);
    expect(first).toBeDefined();
    if (first === undefined) return;
    expect(first.processes.map((p) => p.name)).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kwok",
    ]);
    const again = cli("up", env);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("already running");
    expect(pids((await readState(dir)) ?? first)).toEqual(pids(first));
    const kubectl = spawnSync(
      path.join(dir, "bin", "kubectl"),
      ["get", "node", "kwok-node-0", "-o", "name"],
      {
        encoding: "utf8",
      },
    );
    expect(kubectl.stdout.trim()).toBe("node/kwok-node-0");

    expect(cli("down", env).status).toBe(0);
    expect(pids(first).filter(isAlive)).toEqual([]);
    expect(await boundPorts(first)).toEqual([]);
    expect(await readState(dir)).toBeUndefined();
  });
});

interface Held {
  readonly child: ChildProcessByStdio<null, Readable, null>;
  readonly state: PlaneState;
  readonly guardianPid: number;
}

async function holdPlane(env: NodeJS.ProcessEnv): Promise<Held> {
  const child = spawn(process.execPath, [path.join(repoRoot, "test/support/hold-test-plane.ts")], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const held = JSON.parse(line) as { state: PlaneState; guardianPid: number };
    return { child, ...held };
  }
  throw new Error("the holding process exited before its plane was ready");
}

describe("a test run killed with SIGKILL", () => {
  it("has its plane stopped by the guardian", async () => {
    const held = await holdPlane(scratchEnv());
    expect(pids(held.state).every(isAlive)).toBe(true);
    held.child.kill("SIGKILL");
    await expect
      .poll(() => pids(held.state).filter(isAlive), { timeout: 30_000, interval: 250 })
      .toEqual([]);
    expect(await boundPorts(held.state)).toEqual([]);
  });

  it("has its plane reaped by the next run when even the guardian died", async () => {
    const env = scratchEnv();
    const held = await holdPlane(env);
    process.kill(held.guardianPid, "SIGKILL");
    held.child.kill("SIGKILL");
    await expect.poll(() => isAlive(held.child.pid ?? 0)).toBe(false);
    expect(pids(held.state).every(isAlive)).toBe(true);
    const runsDir = path.join(env["CALLBACK_OPERATOR_CLUSTER_DIR"] ?? "", "test-runs");
    expect(await reapOrphanedPlanes(runsDir)).toBe(1);
    expect(pids(held.state).filter(isAlive)).toEqual([]);
    expect(await boundPorts(held.state)).toEqual([]);
  });
});
