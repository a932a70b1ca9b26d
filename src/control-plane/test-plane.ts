import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { reapOrphanedPlanes, startPlane, stopPlane, type PlaneState } from "./control-plane.ts";
import { testRunsDir } from "./paths.ts";
import { stopGroup } from "./processes.ts";
import type { Progress } from "./tool-builds.ts";

export interface TestPlane {
  readonly state: PlaneState;
  /** The process that stops the plane if its owner dies without calling stop(). */
  readonly guardianPid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A plane owned by the calling process (a test run): orphans of earlier runs are reaped first,
 * and a guardian process takes this one down if the caller dies without tearing it down.
 */
export async function startTestPlane(
  progress: Progress,
  { realNode = false }: { readonly realNode?: boolean } = {},
): Promise<TestPlane> {
  const reaped = await reapOrphanedPlanes(testRunsDir());
  if (reaped > 0) progress(`Stopped ${reaped} control plane(s) left by a test run that died`);
  const dir = path.join(
    testRunsDir(),
    `${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`,
  );
  await mkdir(dir, { recursive: true });
  const guardianScript = fileURLToPath(new URL("guardian.ts", import.meta.url));
  const guardian = spawn(process.execPath, [guardianScript, dir, String(process.pid)], {
    detached: true,
    stdio: "ignore",
  });
  guardian.unref();
  const state = await startPlane({ dir, ownerPid: process.pid, progress, realNode });
  return {
    state,
    guardianPid: guardian.pid,
    async stop() {
      if (guardian.pid !== undefined) await stopGroup(guardian.pid, 1_000);
      await stopPlane(state);
    },
  };
}
