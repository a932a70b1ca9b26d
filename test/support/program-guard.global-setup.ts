// Global set-up of every test project: the guard in the main process (where the control plane
// starts), and a teardown that fails the run if any test ran a refused program, even one whose
// error a caller swallowed.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { installProgramGuard, VIOLATIONS_ENV } from "./program-guard.ts";

export default function setup(): () => void {
  const given = process.env[VIOLATIONS_ENV];
  // The first project's set-up names the log; the workers and the other projects inherit it.
  const log = given ?? path.join(mkdtempSync(path.join(os.tmpdir(), "program-guard-")), "log");
  process.env[VIOLATIONS_ENV] = log;
  installProgramGuard();
  return () => {
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      // Nothing was refused, so nothing was written.
    }
    if (given === undefined) rmSync(path.dirname(log), { recursive: true, force: true });
    if (text.trim() !== "")
      throw new Error(`Programs outside the README's prerequisites:\n${text}`);
  };
}
