// Small Go programs the tests run (kstatus, the Argo CD Lua health runner): built on first use into
// the tool cache outside the repo, keyed by the program's source and the modules it requires, so an
// edit or a version bump rebuilds and a warm run only hashes one file. Never committed as binaries.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { withLock } from "../../src/control-plane/file-lock.ts";
import { requireGo, runGo } from "../../src/control-plane/go-toolchain.ts";
import { toolCacheRoot } from "../../src/control-plane/paths.ts";
import { versions } from "../../src/control-plane/versions.ts";

export interface GoTool {
  /** The binary's name, and the cache directory's prefix. */
  readonly name: string;
  /** The program: one `main.go`. */
  readonly source: string;
  /** Modules it imports, pinned: `go mod tidy` resolves the rest from the module proxy. */
  readonly requires: readonly { readonly module: string; readonly version: string }[];
}

/** Builds the tool unless the cache has it, and returns the binary's path. */
export async function ensureGoTool(tool: GoTool): Promise<string> {
  const program = await readFile(tool.source, "utf8");
  const hash = createHash("sha256")
    .update(JSON.stringify(tool.requires))
    .update("\0")
    .update(program)
    .digest("hex")
    .slice(0, 12);
  const dir = path.join(toolCacheRoot(), "tools", `${tool.name}-${hash}`);
  const bin = path.join(dir, "bin", tool.name);
  const complete = path.join(dir, "complete.json");
  if (existsSync(complete) && existsSync(bin)) return bin;
  requireGo();
  await mkdir(path.dirname(dir), { recursive: true });
  // Test files run in parallel workers: one builds, the others wait and then find it built.
  return withLock(
    `${dir}.lock`,
    () => undefined,
    `${tool.name} build`,
    async () => {
      if (existsSync(complete) && existsSync(bin)) return bin;
      await rm(dir, { recursive: true, force: true });
      const moduleDir = path.join(dir, "module");
      await mkdir(moduleDir, { recursive: true });
      await copyFile(tool.source, path.join(moduleDir, "main.go"));
      const logFile = path.join(dir, "build.log");
      const started = Date.now();
      for (const args of [
        ["mod", "init", `localtools/${tool.name}`],
        [
          "mod",
          "edit",
          `-go=${versions.goDirective}`,
          ...tool.requires.map((r) => `-require=${r.module}@v${r.version}`),
        ],
        ["mod", "tidy"],
        ["build", "-trimpath", "-ldflags=-s -w", "-o", bin, "."],
      ]) {
        await runGo({ args, cwd: moduleDir, logFile });
      }
      await writeFile(
        complete,
        JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000) }),
      );
      return bin;
    },
  );
}
