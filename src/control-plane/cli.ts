// `npm run cluster:up | cluster:down | cluster:build | cluster:status`: the developer's plane in .cluster/.
import path from "node:path";
import { isRunning, readState, stopPlane } from "./control-plane.ts";
import { ensureDevPlane } from "./dev-plane.ts";
import { ToolchainError } from "./go-toolchain.ts";
import { clusterDir } from "./paths.ts";
import { isPortBound } from "./ports.ts";
import { realNodeTaint } from "./real-node.ts";
import { ensureNodeTools, ensureTools } from "./tool-builds.ts";
import { withLock } from "./file-lock.ts";

const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

async function up(): Promise<void> {
  const realNode = process.argv.includes("--real-node");
  const { state, reused } = await ensureDevPlane(progress, { realNode });
  progress(
    reused
      ? `The control plane is already running at ${state.server}; reusing it.`
      : `Control plane ready at ${state.server} in ${state.startSeconds.toFixed(1)} s.`,
  );
  if (state.realNode !== undefined)
    progress(
      `  real node:  "localhost" (containerd, taint ${realNodeTaint.key}), pods on ${state.realNode.subnet}, host reachable from pods at ${state.realNode.gateway}`,
    );
  printUsage();
}

function printUsage(): void {
  const dir = path.relative(process.cwd(), clusterDir()) || ".";
  progress(`  kubeconfig: ${path.join(dir, "kubeconfig")}`);
  progress(`  kubectl:    ${path.join(dir, "bin", "kubectl")} get nodes`);
  progress("  stop:       npm run cluster:down");
}

async function down(): Promise<void> {
  const state = await readState(clusterDir());
  if (state === undefined) {
    progress("No control plane is running.");
    return;
  }
  await stopPlane(state);
  const stillBound = [];
  for (const [name, port] of Object.entries(state.ports)) {
    if (port > 0 && (await isPortBound(port))) stillBound.push(`${name}:${port}`);
  }
  if (stillBound.length > 0)
    throw new Error(`Ports still bound after stopping: ${stillBound.join(", ")}`);
  progress(`Control plane stopped; component logs are in ${path.join(clusterDir(), "logs")}.`);
}

async function status(): Promise<void> {
  const state = await readState(clusterDir());
  if (state === undefined) {
    progress("No control plane is running.");
    process.exitCode = 1;
    return;
  }
  progress(`${isRunning(state) ? "Running" : "Broken (a component died)"} at ${state.server}`);
  for (const p of state.processes) progress(`  ${p.name}: pid ${p.pid}, log ${p.logFile}`);
}

const commands: Record<string, () => Promise<void>> = {
  up,
  down,
  status,
  build: async () => {
    const tools = await ensureTools(progress);
    progress(`Binaries ready in ${tools.binDir}`);
    if (process.argv.includes("--real-node")) {
      const node = await ensureNodeTools(progress);
      progress(`Real node binaries ready (kubelet: ${node.kubelet})`);
    }
  },
};

// up and down change the same plane: one at a time.
const locked = (work: () => Promise<void>) => (): Promise<void> =>
  withLock(path.join(clusterDir(), ".lock"), progress, "cluster command", work);
commands["down"] = locked(down);

const command = commands[process.argv[2] ?? ""];
if (command === undefined) {
  progress(`usage: cli.ts ${Object.keys(commands).join("|")}`);
  process.exitCode = 2;
} else {
  try {
    await command();
  } catch (error) {
    // Errors the user can act on are printed alone; anything else keeps its stack for a bug report.
    progress(
      error instanceof ToolchainError ? `Error: ${error.message}` : String((error as Error).stack),
    );
    process.exitCode = 1;
  }
}
