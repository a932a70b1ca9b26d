// The developer's persistent plane in .cluster/ (or CALLBACK_OPERATOR_CLUSTER_DIR): started once,
// reused while it runs. `npm run cluster:up` and `npm run demo` share it.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  addRealNode,
  isRunning,
  readState,
  startPlane,
  stopPlane,
  type PlaneState,
} from "./control-plane.ts";
import { withLock } from "./file-lock.ts";
import { clusterDir } from "./paths.ts";
import type { Progress } from "./tool-builds.ts";

/**
 * Returns the running plane, starting one first if none runs; `reused` says which. With
 * `realNode`, a running plane without a real node gets one.
 */
export async function ensureDevPlane(
  progress: Progress,
  { realNode = false }: { readonly realNode?: boolean } = {},
): Promise<{ state: PlaneState; reused: boolean }> {
  const dir = clusterDir();
  await mkdir(dir, { recursive: true });
  return withLock(path.join(dir, ".lock"), progress, "cluster command", async () => {
    const existing = await readState(dir);
    if (existing !== undefined && isRunning(existing)) {
      const state =
        realNode && existing.realNode === undefined ? await addRealNode(dir, progress) : existing;
      return { state, reused: true };
    }
    if (existing !== undefined) {
      progress("Cleaning up a control plane that is no longer complete");
      await stopPlane(existing);
    }
    const state = await startPlane({ dir, ownerPid: null, progress, realNode });
    const binDir = path.join(dir, "bin");
    await mkdir(binDir, { recursive: true });
    // A wrapper, not a symlink: .cluster/bin/kubectl always talks to this plane.
    await writeFile(
      path.join(binDir, "kubectl"),
      `#!/bin/sh\nexec "${state.kubectl}" --kubeconfig="${state.kubeconfig}" "$@"\n`,
    );
    await chmod(path.join(binDir, "kubectl"), 0o755);
    return { state, reused: false };
  });
}
