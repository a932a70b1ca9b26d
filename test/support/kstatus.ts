// kstatus, the status library of Flux's health checks and Helm 4's --wait, as a small Go program
// (test/support/kstatus/main.go) built into the tool cache on first use, like Helm.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ensureGoTool } from "./go-tool.ts";

/** The fork Flux and Helm 4 use; the version Helm v4.3.1 pins. */
const kstatusTool = {
  name: "kstatus",
  source: path.join(import.meta.dirname, "kstatus", "main.go"),
  requires: [{ module: "github.com/fluxcd/cli-utils", version: "1.2.2" }],
};

export interface KstatusResult {
  readonly status: string;
  readonly message: string;
}

let binary: string | undefined;

/** The kstatus status of each object, in order. */
export async function kstatus(objects: readonly unknown[]): Promise<KstatusResult[]> {
  binary ??= await ensureGoTool(kstatusTool);
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
