// Idle cost: with 100 services converged, the operator sends no write request for 60 s, and reads
// only through its open watches (no polling).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createNamespace, installCrds, kubectl, kubectlJson } from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const services = 100;
const idleMs = 60_000;
let operator: RunningOperator;
let ns = "";

beforeAll(async () => {
  installCrds();
  ns = createNamespace("steady");
  // Its own namespace only: other test files leave services behind.
  operator = await startOperator("steady-state", [`--namespaces=${ns}`]);
  const documents = Array.from({ length: services }, (_, i) => ({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: `svc-${String(i).padStart(3, "0")}` },
    spec: {
      scenario: "User-Terminated-Immediate",
      options: { _route_point: "8999@SIP_Switch", _service_groups: i % 2 === 0 ? "even" : "odd" },
    },
  }));
  kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
    input: documents.map((d) => stringify(d)).join("---\n"),
  });
}, 300_000);

afterAll(async () => {
  await operator.stop();
});

const writes = (counts: Record<string, number>): number =>
  (counts["POST"] ?? 0) + (counts["PUT"] ?? 0) + (counts["PATCH"] ?? 0) + (counts["DELETE"] ?? 0);

describe("at steady state", () => {
  it(`makes zero write requests over ${idleMs / 1000} s with ${services} services`, async () => {
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=240s", "cbs", "--all"]);
    const ready = kubectlJson<{ items: unknown[] }>(["get", "cbs", "-n", ns]);
    expect(ready.items).toHaveLength(services);
    // Let the last status writes and their watch events settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const before = await operator.requests();
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const after = await operator.requests();
    const delta = Object.fromEntries(
      Object.keys(after).map((method) => [method, (after[method] ?? 0) - (before[method] ?? 0)]),
    );
    process.stderr.write(
      `[steady-state] requests over ${idleMs / 1000} s: ${JSON.stringify(delta)}\n`,
    );
    expect(writes(after) - writes(before)).toBe(0);
    // Reads: only watch re-opens (each server-side watch timeout) may appear, no LIST or GET polling.
    expect(delta["GET"] ?? 0).toBeLessThanOrEqual(20);
  }, 400_000);

  it("writes nothing after a restart either: every cached child already equals what it would apply", async () => {
    // A restart fills the caches from LISTs, whose items of built-in kinds carry no apiVersion
    // and kind; compared with them, every child once looked stale and was re-applied each pass.
    await operator.stop();
    operator = await startOperator("steady-state", [`--namespaces=${ns}`]);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const counts = await operator.requests();
    process.stderr.write(
      `[steady-state] requests in the 10 s after a restart: ${JSON.stringify(counts)}\n`,
    );
    expect(writes(counts)).toBe(0);
  }, 120_000);
});
