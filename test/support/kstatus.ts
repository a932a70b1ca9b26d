// kstatus, the status library of Flux's health checks and Helm 4's --wait, as a small Go program
// (test/support/kstatus/main.go) built into the tool cache on first use, like Helm.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { requireGo, runGo } from "../../src/control-plane/go-toolchain.ts";
import { toolCacheRoot } from "../../src/control-plane/paths.ts";
import { versions } from "../../src/control-plane/versions.ts";

/** The fork Flux and Helm 4 use; the version Helm v4.3.1 pins. */
const cliUtils = { module: "github.com/fluxcd/cli-utils", version: "1.2.2" };
const source = path.join(import.meta.dirname, "kstatus", "main.go");

export interface KstatusResult {
  readonly status: string;
  readonly message: string;
}

let binary: string | undefined;

async function ensureKstatus(): Promise<string> {
  // Keyed by the library version and the program's content: an edit rebuilds.
  const hash = createHash("sha256")
    .update(await readFile(source, "utf8"))
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(toolCacheRoot(), "tools", `kstatus-v${cliUtils.version}-${hash}`);
  const bin = path.join(dir, "bin", "kstatus");
  if (existsSync(path.join(dir, "complete.json")) && existsSync(bin)) return bin;
  requireGo();
  await rm(dir, { recursive: true, force: true });
  const moduleDir = path.join(dir, "module");
  await mkdir(moduleDir, { recursive: true });
  await copyFile(source, path.join(moduleDir, "main.go"));
  const logFile = path.join(dir, "build.log");
  const started = Date.now();
  for (const args of [
    ["mod", "init", "localtools/kstatus"],
    [
      "mod",
      "edit",
      `-go=${versions.goDirective}`,
      `-require=${cliUtils.module}@v${cliUtils.version}`,
    ],
    ["mod", "tidy"],
    ["build", "-trimpath", "-ldflags=-s -w", "-o", bin, "."],
  ]) {
    await runGo({ args, cwd: moduleDir, logFile });
  }
  await writeFile(
    path.join(dir, "complete.json"),
    JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000) }),
  );
  return bin;
}

/** The kstatus status of each object, in order. */
export async function kstatus(objects: readonly unknown[]): Promise<KstatusResult[]> {
  binary ??= await ensureKstatus();
  const result = spawnSync(binary, [], {
    input: objects.map((o) => JSON.stringify(o)).join("\n") + "\n",
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`kstatus failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as KstatusResult);
}
