// Fails a test that runs a program the README does not list and the project does not build: such a
// test passes on the author's machine and fails for a newcomer who followed the README (the Argo CD
// check once ran `lua5.4`, installed by .ci/run but listed nowhere). Every child_process entry
// point is wrapped in each test worker and in the global set-ups; a refused program throws at the
// call and is also written to a log that the global teardown reads, so a caller that swallows
// errors cannot hide it.
import childProcess from "node:child_process";
import { appendFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { toolCacheRoot } from "../../src/control-plane/paths.ts";
import { readmePrerequisites } from "./prerequisites.ts";

const repoRoot = path.join(import.meta.dirname, "../..");

/** The log of refused programs, shared by the set-up and the workers of one run. */
export const VIOLATIONS_ENV = "CALLBACK_OPERATOR_PROGRAM_GUARD_LOG";

/** Where Debian installs the README's programs: a listed program may be run by its full path here. */
const SYSTEM_BIN = ["/usr/bin", "/bin"];

const inside = (file: string, dir: string): boolean => {
  const relative = path.relative(dir, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
};

/** Why `command` may not run, or undefined when it may. */
export function refusal(
  command: string,
  listed: ReadonlySet<string>,
  roots: { readonly repo: string; readonly toolCache: string; readonly node: string },
): string | undefined {
  if (command.includes("/")) {
    const file = path.resolve(command);
    if (file === roots.node || inside(file, roots.repo) || inside(file, roots.toolCache))
      return undefined;
    // A listed program by its distribution path (playwright-core starts /usr/bin/chromium so).
    if (SYSTEM_BIN.includes(path.dirname(file)) && listed.has(path.basename(file)))
      return undefined;
    return `${file} is outside the repository and the tool cache (${roots.toolCache}) and not a listed program in ${SYSTEM_BIN.join(" or ")}`;
  }
  if (listed.has(command)) return undefined;
  return `"${command}" is not built by the project and not listed in the README's prerequisites`;
}

/** The program a child_process call runs: its file argument, or a shell command's first word. */
function programOf(name: string, args: unknown[]): string {
  const first = typeof args[0] === "string" ? args[0] : "";
  return name === "exec" || name === "execSync" ? (first.trim().split(/\s+/)[0] ?? "") : first;
}

let installed = false;

export function installProgramGuard(): void {
  if (installed) return;
  installed = true;
  const listed = readmePrerequisites().programs;
  const roots = { repo: repoRoot, toolCache: toolCacheRoot(), node: process.execPath };
  const module = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync"]) {
    const original = module[name];
    if (original === undefined) continue;
    module[name] = function guarded(this: unknown, ...args: unknown[]): unknown {
      const program = programOf(name, args);
      const why = refusal(program, listed, roots);
      if (why !== undefined) {
        const message = `A test ran ${program}: ${why}. Build it into the tool cache or list it in README.md.`;
        const log = process.env[VIOLATIONS_ENV];
        if (log !== undefined) appendFileSync(log, `${message}\n`);
        throw new Error(message);
      }
      return original.apply(this, args);
    };
  }
  // ESM named imports of node:child_process read the builtin's exports: refresh them.
  syncBuiltinESMExports();
}
