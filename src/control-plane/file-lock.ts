import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isAlive, sleep } from "./processes.ts";

/**
 * Runs work while holding a lock directory, so two commands never build or start the same thing
 * at once. The directory appears atomically with its owner's pid inside (rename of a prepared
 * directory), so nobody ever sees a lock without an owner; a lock whose owner died is taken over.
 */
export async function withLock<T>(
  lockDir: string,
  progress: (message: string) => void,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  let announced = false;
  for (;;) {
    const prepared = await mkdtemp(`${lockDir}.tmp-`);
    await writeFile(path.join(prepared, "pid"), String(process.pid));
    try {
      await rename(prepared, lockDir);
      break;
    } catch {
      await rm(prepared, { recursive: true, force: true });
      const owner = await lockOwner(lockDir);
      if (owner !== undefined && !isAlive(owner)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) progress(`Waiting for another ${what} (pid ${String(owner)}) to finish...`);
      announced = true;
      await sleep(1_000);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function lockOwner(lockDir: string): Promise<number | undefined> {
  try {
    return Number.parseInt(await readFile(path.join(lockDir, "pid"), "utf8"), 10);
  } catch {
    return undefined; // released between our rename and this read: just try again
  }
}
