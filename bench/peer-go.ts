// Builds and starts the Go controller-runtime peer (bench/peer-go/), the baseline the benchmarks
// compare callback-operator with. The binary is built into the tool cache outside the repo, keyed
// by a hash of its sources and the Go version, so a warm run only hashes a few files.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, readdir, readFile, rename } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withLock } from "../src/control-plane/file-lock.ts";
import { goEnv, requireGo, runGo } from "../src/control-plane/go-toolchain.ts";
import { toolCacheRoot } from "../src/control-plane/paths.ts";
import { freePort } from "../src/control-plane/ports.ts";
import { isAlive, sleep } from "../src/control-plane/processes.ts";

/** The Go module of the peer, beside this file. */
export const peerGoSourceDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "peer-go");

const binaryName = "peer-go";

/** What the build depends on: go.mod, go.sum and every .go file, plus the Go version. */
async function sourceHash(goVersion: string): Promise<string> {
  const names = (await readdir(peerGoSourceDir))
    .filter((name) => name === "go.mod" || name === "go.sum" || name.endsWith(".go"))
    .sort();
  const hash = createHash("sha256").update(`go${goVersion}\0`);
  for (const name of names) {
    hash.update(`${name}\0`);
    hash.update(await readFile(path.join(peerGoSourceDir, name)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Builds the peer if its sources changed since the last build and returns the binary's path. A
 * lock of its own (not the control plane's build.lock) keeps two benchmark runs from building it
 * at once without waiting on a control-plane build.
 */
export async function ensurePeerGo(
  log: (message: string) => void = () => undefined,
): Promise<string> {
  const goVersion = requireGo();
  const root = path.join(toolCacheRoot(), "peer-go");
  const dir = path.join(root, await sourceHash(goVersion));
  const binary = path.join(dir, binaryName);
  if (existsSync(binary)) return binary;
  await mkdir(root, { recursive: true });
  return withLock(path.join(root, "build.lock"), log, "peer-go build", async () => {
    if (existsSync(binary)) return binary; // built by whoever held the lock
    await mkdir(dir, { recursive: true });
    const logFile = path.join(dir, "build.log");
    const partial = `${binary}.partial`;
    const started = Date.now();
    log(`Building the Go peer (bench/peer-go) into ${dir}; log: ${logFile}`);
    await runGo({
      args: ["build", "-trimpath", "-ldflags=-s -w", "-o", partial, "."],
      cwd: peerGoSourceDir,
      // -mod=readonly: build from the committed go.sum, never rewrite it (goEnv's -mod=mod is for
      // the generated wrapper modules of the control plane). -buildvcs=false: the binary must not
      // depend on the state of the git checkout it was built from.
      env: { ...goEnv(), GOFLAGS: "-mod=readonly -buildvcs=false" },
      logFile,
    });
    await rename(partial, binary); // appears complete or not at all
    log(`Built the Go peer in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return binary;
  });
}

export interface PeerGoOptions {
  readonly kubeconfig: string;
  /** MaxConcurrentReconciles, the counterpart of callback-operator's --concurrency. */
  readonly concurrency: number;
  /** Client-side rate limit in requests per second; -1 (the default) disables it, as ours has none. */
  readonly qps?: number;
  readonly burst?: number;
  /** The binary from ensurePeerGo; built (or found in the cache) when omitted. */
  readonly binary?: string;
  /** Where its stdout and stderr go; a new file in the temp directory when omitted. */
  readonly logFile?: string;
  readonly readyTimeoutMs?: number;
  readonly extraArgs?: readonly string[];
  readonly log?: (message: string) => void;
}

export interface PeerGo {
  readonly child: ChildProcess;
  readonly pid: number;
  /** controller-runtime's Prometheus endpoint, on loopback. */
  readonly metricsUrl: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Two distinct free loopback ports (freePort releases each before returning it). */
async function twoPorts(): Promise<[number, number]> {
  const first = await freePort();
  for (;;) {
    const second = await freePort();
    if (second !== first) return [first, second];
  }
}

/**
 * Starts the peer against a cluster and resolves once its /readyz says every informer has synced.
 * The process is not detached: it shares the caller's process group, so Ctrl-C stops it too.
 */
export async function spawnPeerGo(options: PeerGoOptions): Promise<PeerGo> {
  const binary = options.binary ?? (await ensurePeerGo(options.log));
  const [metricsPort, probePort] = await twoPorts();
  const logFile =
    options.logFile ?? path.join(os.tmpdir(), `peer-go-${Date.now()}-${process.pid}.log`);
  const args = [
    `--kubeconfig=${options.kubeconfig}`,
    `--concurrency=${options.concurrency}`,
    `--qps=${options.qps ?? -1}`,
    `--burst=${options.burst ?? 0}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    `--health-probe-bind-address=127.0.0.1:${probePort}`,
    ...(options.extraArgs ?? []),
  ];
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error; // e.g. ENOENT; without a listener it would crash the caller
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitReady(child, probePort, options.readyTimeoutMs ?? 60_000, logFile, () => spawnError);
  } catch (error) {
    await stop(1_000);
    throw error;
  }
  return {
    child,
    pid: child.pid ?? 0,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    logFile,
    stop,
  };
}

async function waitReady(
  child: ChildProcess,
  probePort: number,
  timeoutMs: number,
  logFile: string,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${probePort}/readyz`;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || !isAlive(child.pid ?? 0)) {
      await sleep(50); // a spawn 'error' event (e.g. ENOENT) says more than an empty log
      const error = spawnError();
      throw new Error(
        error === undefined
          ? `The Go peer exited before it was ready:\n${await logTail(logFile)}`
          : `Could not start the Go peer: ${error.message}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The Go peer was not ready after ${timeoutMs} ms:\n${await logTail(logFile)}`,
      );
    }
    await sleep(100);
  }
}

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  return `${text.split("\n").slice(-15).join("\n")}\nFull log: ${logFile}`;
}
