// The Argo CD health check as Argo CD runs it: gopher-lua (Lua 5.1 in Go) with Argo CD's library
// set and calling convention, in a small Go program (test/support/argocd-health/main.go) built into
// the tool cache on first use. No system Lua: a 5.4 interpreter accepts scripts Argo CD rejects.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ensureGoTool } from "./go-tool.ts";

/** The interpreter Argo CD embeds (argo-cd go.mod pins github.com/yuin/gopher-lua v1.1.x). */
const argocdHealthTool = {
  name: "argocd-health",
  source: path.join(import.meta.dirname, "argocd-health", "main.go"),
  requires: [{ module: "github.com/yuin/gopher-lua", version: "1.1.2" }],
};

export interface ArgoHealth {
  readonly status: string;
  readonly message: string;
}

let binary: string | undefined;

/** Runs `script` on each object, in order, as Argo CD's controller would. */
export async function argocdHealth(
  script: string,
  objects: readonly unknown[],
): Promise<ArgoHealth[]> {
  binary ??= await ensureGoTool(argocdHealthTool);
  const result = spawnSync(binary, [script], {
    input: objects.map((o) => JSON.stringify(o)).join("\n") + "\n",
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`argocd-health failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as ArgoHealth);
}
