// The examples/ as a user would apply them, made Ready on a cluster without an ingress or
// Gateway controller: the Secrets they name, and each HTTPRoute reported Accepted as its
// Gateway's controller would (what `npm run demo` does too).
import path from "node:path";
import { kubectl, kubectlJson, tryKubectl } from "./cluster.ts";
import { acceptHttpRoutes as acceptRoutes } from "../../src/control-plane/gateway-acceptance.ts";

const examplesDir = path.join(import.meta.dirname, "../../examples");

/** Names of the CallbackServices in examples/. */
export const exampleNames = [
  "callback-blackfriday-support",
  "callback-for-mobile",
  "callback-support",
  "office-hours",
] as const;

/** Applies the Secrets the examples name, then the examples, into `namespace`. */
export function applyExamples(namespace: string): void {
  for (const [name, key, value] of [
    ["callback-for-mobile-auth", "password", "test-password"],
    ["callback-blackfriday-db", "url", "postgres://callbacks@postgres.example:5432/callbacks"],
  ] as const) {
    kubectl([
      "create",
      "secret",
      "generic",
      name,
      "-n",
      namespace,
      `--from-literal=${key}=${value}`,
    ]);
  }
  kubectl([
    "apply",
    "--server-side",
    "--field-manager=test-user",
    "-n",
    namespace,
    "-f",
    examplesDir,
  ]);
}

interface RouteStatuses {
  items: { status?: { parents?: unknown[] } }[];
}

/** Reports every HTTPRoute of `namespace` Accepted by each of its parents; returns how many. */
export function acceptHttpRoutes(namespace: string): number {
  return acceptRoutes((args) => kubectl(args), namespace, "the test").length;
}

/** Names of the examples in `namespace` whose Ready condition is True. */
export function readyExamples(namespace: string): string[] {
  const list = kubectlJson<{
    items: {
      metadata: { name: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  }>(["get", "callbackservices", "-n", namespace]);
  return list.items
    .filter((s) => s.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
    .map((s) => s.metadata.name)
    .sort();
}

/**
 * Waits until every example is Ready, accepting HTTPRoutes as they appear; throws naming the
 * ones that are not after `timeoutMs`.
 */
export async function waitExamplesReady(namespace: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ready: string[] = [];
  while (Date.now() < deadline) {
    const unaccepted = kubectlJson<RouteStatuses>([
      "get",
      "httproutes",
      "-n",
      namespace,
    ]).items.some((r) => (r.status?.parents ?? []).length === 0);
    if (unaccepted) acceptHttpRoutes(namespace);
    ready = readyExamples(namespace);
    if (ready.length === exampleNames.length) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const missing = exampleNames.filter((n) => !ready.includes(n));
  const why = missing.map(
    (name) =>
      tryKubectl(["get", "cbs", name, "-n", namespace, "-o", "jsonpath={.status.conditions}"])
        .stdout,
  );
  throw new Error(
    `Not Ready after ${String(timeoutMs)} ms: ${missing.join(", ")}\n${why.join("\n")}`,
  );
}
