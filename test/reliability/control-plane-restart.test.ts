// kube-apiserver and etcd crash (SIGKILL) and come back while a fleet converges: the operator
// recovers by itself — watches re-established, a 410 Gone answered by a relist — and finishes.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { restartComponent } from "../../src/control-plane/control-plane.ts";
import { createNamespace, installCrds, kubectlJson } from "../support/cluster.ts";
import { recordFigures } from "../support/figures.ts";
import { workloadHealth } from "../../src/controller/child-health.ts";
import type { KubeObject } from "../../src/runtime/kube-client.ts";
import {
  applyFleet,
  fleetProblems,
  isReady,
  readyCount,
  waitFleetReady,
} from "../support/fleet.ts";
import { spawnOperator, type OperatorProcess } from "../support/operator.ts";
import { scrapeMetrics } from "../support/operator-process.ts";

const soak = process.env["CALLBACK_OPERATOR_SOAK"] === "1";
const services = soak ? 300 : 100;
const downMs = 3_000;

let namespace = "";
let operator: OperatorProcess;

beforeAll(async () => {
  installCrds();
  namespace = createNamespace("restart");
  operator = await spawnOperator("control-plane-restart", [
    "--leader-elect=false",
    `--namespaces=${namespace}`,
  ]);
});

afterAll(async () => {
  if (operator.child.exitCode !== null) return;
  const exited = new Promise((resolve) => operator.child.once("exit", resolve));
  operator.child.kill("SIGTERM");
  await exited;
});

async function watchRestarts(): Promise<Record<string, number>> {
  const text = await scrapeMetrics(operator.metricsUrl);
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(
    /^callback_operator_watch_restarts_total\{[^}]*reason="(\w+)"[^}]*\} (\d+)/gm,
  )) {
    counts[m[1] ?? "?"] = (counts[m[1] ?? "?"] ?? 0) + Number(m[2]);
  }
  return counts;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function queues(): string[] {
  return kubectlJson<{ items: { data?: Record<string, string> }[] }>([
    "get",
    "configmaps",
    "-n",
    namespace,
    "-l",
    "app.kubernetes.io/managed-by=callback-operator",
    "-o",
    "json",
  ]).items.map((map) => map.data?.["_urs_virtual_queue"] ?? "");
}

/**
 * The fleet's workloads: its services are on the embedded database, so StatefulSets, rolled by
 * kube-controller-manager.
 */
const workloads = (): KubeObject[] =>
  kubectlJson<{ items: KubeObject[] }>(["get", "statefulsets", "-n", namespace]).items;

/** Services whose Ready does not match their workload's availability (as kubectl rollout judges it). */
function readinessMismatches(): string[] {
  const byName = new Map(workloads().map((w) => [w.metadata.name, w]));
  return kubectlJson<{ items: Parameters<typeof isReady>[0][] }>(["get", "cbs", "-n", namespace])
    .items.filter(
      (s) => isReady(s) !== workloadHealth(byName.get(s.metadata.name), "StatefulSet").ok,
    )
    .map((s) => s.metadata.name);
}

const planeDir = () => path.dirname(inject("kubeconfig"));

describe.runIf(inject("clusterKind") === "local")("control plane crashes", () => {
  it(
    "kube-apiserver killed mid-convergence: the operator finishes once it is back",
    { timeout: 300_000 },
    async () => {
      applyFleet(namespace, services);
      await waitUntil(() => readyCount(namespace) >= services / 5, 120_000);
      const before = await watchRestarts();
      const crashedAt = performance.now();
      await restartComponent(planeDir(), "kube-apiserver", downMs);
      const back = (performance.now() - crashedAt) / 1000;
      const converged = await waitFleetReady(namespace, services, 240_000);
      const after = await watchRestarts();
      expect(operator.child.exitCode).toBeNull();
      const restarted = Object.values(after).reduce((a, b) => a + b, 0);
      expect(restarted).toBeGreaterThan(Object.values(before).reduce((a, b) => a + b, 0));
      expect(fleetProblems(namespace)).toEqual([]);
      recordFigures({
        id: "control-plane-restart.apiserver",
        title: "kube-apiserver killed mid-convergence (SIGTERM, then SIGKILL at once)",
        test: "test/reliability/control-plane-restart.test.ts",
        figures: [
          { label: "services", value: services },
          { label: "down", value: downMs / 1000, unit: "s" },
          { label: "apiserver ready again after", value: back.toFixed(1), unit: "s" },
          { label: "all Ready", value: converged.toFixed(1), unit: "s later" },
          ...Object.entries(after).map(([reason, n]) => ({
            label: `watch restarts (${reason})`,
            value: n - (before[reason] ?? 0),
          })),
        ],
      });
    },
  );

  it(
    "etcd killed while every service changes: every change arrives once etcd is back",
    // Its own waits (120 + 240 + 120 + 60 s) decide, never the test's timeout.
    { timeout: 600_000 },
    async () => {
      applyFleet(namespace, services, "VQ_After_Etcd");
      await waitUntil(
        () => queues().filter((q) => q === "VQ_After_Etcd").length >= services / 5,
        120_000,
      );
      const crashedAt = performance.now();
      await restartComponent(planeDir(), "etcd", downMs);
      const back = (performance.now() - crashedAt) / 1000;
      const started = performance.now();
      let updated: number;
      let allReady: number | undefined;
      let unavailable: number;
      try {
        await waitUntil(() => queues().every((q) => q === "VQ_After_Etcd"), 240_000);
        updated = (performance.now() - started) / 1000;
        // Ready follows the workloads, which kube-controller-manager rolls: after an etcd crash
        // its caches can lag for minutes ("read version is not as new as written version"). The
        // operator's part is to report each one truthfully, whatever KCM does.
        allReady = await waitFleetReady(namespace, services, 120_000).catch(() => undefined);
        await waitUntil(() => readinessMismatches().length === 0, 60_000);
        unavailable = workloads().filter((w) => !workloadHealth(w, "StatefulSet").ok).length;
      } finally {
        // The tests after this one share the plane: seen in a soak run, kube-controller-manager
        // left Deployments unavailable and kube-scheduler reported its cache corrupted after the
        // crash, and five later tests failed behind them. Both start again from fresh caches.
        await restartComponent(planeDir(), "kube-controller-manager");
        await restartComponent(planeDir(), "kube-scheduler");
      }
      expect(operator.child.exitCode).toBeNull();
      expect(
        fleetProblems(namespace).filter(
          (p) => !p.includes("generation") && !p.includes("not Ready"),
        ),
      ).toEqual([]);
      recordFigures({
        id: "control-plane-restart.etcd",
        title: "etcd killed while every service changes (SIGTERM, then SIGKILL at once)",
        test: "test/reliability/control-plane-restart.test.ts",
        figures: [
          { label: "services", value: services },
          { label: "down", value: downMs / 1000, unit: "s" },
          { label: "etcd healthy after", value: back.toFixed(1), unit: "s" },
          { label: "every ConfigMap updated", value: updated.toFixed(1), unit: "s later" },
          {
            label: "all Ready",
            value:
              allReady === undefined ? "not within 120 s" : `${allReady.toFixed(1)} s after that`,
          },
          { label: "workloads left unavailable by kube-controller-manager", value: unavailable },
        ],
      });
    },
  );
});
