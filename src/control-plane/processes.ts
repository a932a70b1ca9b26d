import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** How it was started, so that a fault test can restart it the same way. */
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * Starts a component as the leader of a new process group (`detached` calls setsid), with stdout
 * and stderr appended to its log, so that it survives nothing it should not: stopping kills the
 * whole group, and the log stays behind for debugging.
 */
export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): StartedProcess {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    });
    if (child.pid === undefined) throw new Error(`Could not start ${name} (${command}).`);
    child.unref();
    return { name, pid: child.pid, logFile, command, args };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/**
 * A killed process whose parent died is reparented, and in a container whose PID 1 never reaps,
 * it stays a zombie: it answers signal 0 but runs nothing and holds no port.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM the group, wait for a graceful exit, then SIGKILL whatever is left. */
export async function stopGroup(pid: number, graceMs = 5_000): Promise<void> {
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  signalGroup(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(20);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
