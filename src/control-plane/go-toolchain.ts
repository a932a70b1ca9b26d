import { spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { statfs } from "node:fs/promises";
import { versions } from "./versions.ts";

/** A failure the user can act on: printed as its message alone, never as a stack trace. */
export class ToolchainError extends Error {
  override readonly name = "ToolchainError";
}

/** Fails fast when the Go toolchain the control plane is built with is missing or too old. */
export function requireGo(minimum: string = versions.minimumGo): string {
  const result = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) {
    throw new ToolchainError(
      `Go is not installed or not on PATH. The test control plane is built from Go modules: install Go ${minimum} or newer (https://go.dev/doc/install), or point CALLBACK_OPERATOR_TEST_KUBECONFIG at an existing cluster.`,
    );
  }
  const version = result.stdout.trim().replace(/^go/, "");
  if (compareVersions(version, minimum) < 0) {
    throw new ToolchainError(
      `Go ${version} is too old: the tools of the control plane and its real node need Go ${minimum} or newer.`,
    );
  }
  return version;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  const pb = b.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (Number.isNaN(diff)) return 0;
    if (diff !== 0) return diff;
  }
  return 0;
}

/** A cold build needs module and build caches of a few GiB; say so before Go fails half-way. */
export async function requireDiskSpace(dir: string, neededBytes: number): Promise<void> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < neededBytes) {
    throw new ToolchainError(
      `Not enough disk space to build the control plane in ${dir}: ${gib(free)} free, ${gib(neededBytes)} needed (Go module and build caches). Free some space or set CALLBACK_OPERATOR_CACHE, GOMODCACHE and GOCACHE to a larger disk.`,
    );
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: fail with a clear message instead of downloading another toolchain.
  // GOFLAGS=-mod=mod: the wrapper modules are generated, their go.sum is written as they build.
  return { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=mod" };
}

export interface GoRun {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  /** Called for each line Go prints, to report progress. */
  readonly onLine?: (line: string) => void;
}

/** Runs one go command, teeing its output to a log; a failure names the missing module if any. */
export function runGo(run: GoRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(run.logFile, { flags: "a" });
    log.write(`$ go ${run.args.join(" ")}\n`);
    const child = spawn("go", run.args, { cwd: run.cwd, env: run.env ?? goEnv() });
    let stdout = "";
    const tail: string[] = [];
    const collect = (chunk: Buffer, isStdout: boolean): void => {
      const text = chunk.toString("utf8");
      log.write(text);
      if (isStdout) stdout += text;
      for (const line of text.split("\n")) {
        if (line === "") continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        run.onLine?.(line);
      }
    };
    child.stdout.on("data", (chunk: Buffer) => {
      collect(chunk, true);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      collect(chunk, false);
    });
    child.on("error", (error) => {
      log.end();
      reject(new ToolchainError(`Could not run go: ${error.message}`));
    });
    child.on("close", (code) => {
      log.end();
      if (code === 0) {
        resolve(stdout);
        return;
      }
      reject(new ToolchainError(describeGoFailure(run.args, tail, run.logFile)));
    });
  });
}

function describeGoFailure(
  args: readonly string[],
  tail: readonly string[],
  logFile: string,
): string {
  const text = tail.join("\n");
  const missing =
    /(?:module|package) (\S+).*(?:unknown revision|not found|no matching versions|404 Not Found|410 Gone)/.exec(
      text,
    );
  const network = /dial tcp|i\/o timeout|no such host|connection refused/.exec(text);
  let hint = "";
  if (missing !== null)
    hint = `Go could not fetch ${missing[1] ?? "a module"} from the module proxy. `;
  else if (network !== null) hint = "Go could not reach the module proxy (GOPROXY). ";
  else if (/no space left on device/.test(text)) hint = "The disk is full. ";
  return `${hint}"go ${args.join(" ")}" failed. Last lines:\n${tail.slice(-12).join("\n")}\nFull log: ${logFile}`;
}
