// 410 Gone, forced: the operator is paused (SIGSTOP) while kube-apiserver restarts (cutting its
// watches), services are deleted, etcd's history is compacted past them and kube-apiserver restarts
// again (its watch cache would otherwise still hold the events). Resumed, the watches cannot resume from the operator's resourceVersion: 410 Gone; the informers relist, synthesise a delete for each object removed meanwhile,
// and the operator writes nothing: the services it missed being deleted were Stalled (their
// template does not exist, so they had no children and counted in no template's status), and the
// others are already as rendered.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { restartComponent } from "../../src/control-plane/control-plane.ts";
import { createNamespace, installCrds, kubectl, kubectlJson } from "../support/cluster.ts";
import { recordFigures } from "../support/figures.ts";
import { compactEtcd } from "../support/etcd.ts";
import { applyFleet, fleetProblems, waitFleetReady } from "../support/fleet.ts";
import { scrapeMetrics, scrapeRequests } from "../support/operator-process.ts";
import { spawnOperator, type OperatorProcess } from "../support/operator.ts";

const services = 6;
const deleted = ["orphan-1", "orphan-2"];
let namespace = "";
const planeDir = (): string => path.dirname(inject("kubeconfig"));
let operator: OperatorProcess;

beforeAll(async () => {
  installCrds();
  namespace = createNamespace("gone");
  // A long watchdog: the pause must end in a 410, not in a stalled-watch relist.
  operator = await spawnOperator("watch-gone", [
    "--leader-elect=false",
    `--namespaces=${namespace}`,
    "--watch-timeout=5m",
    "--watchdog=1m",
  ]);
});

afterAll(async () => {
  if (operator.child.exitCode !== null) return;
  operator.child.kill("SIGCONT");
  const exited = new Promise((resolve) => operator.child.once("exit", resolve));
  operator.child.kill("SIGTERM");
  await exited;
});

/** A counter of the operator's metrics, summed by its `informer` label. */
async function byInformer(name: string, labels = ""): Promise<Record<string, number>> {
  const text = await scrapeMetrics(operator.metricsUrl);
  const counts: Record<string, number> = {};
  const pattern = new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, "gm");
  for (const match of text.matchAll(pattern)) {
    if (!(match[1] ?? "").includes(labels)) continue;
    const informer = /informer="(\w+)"/.exec(match[1] ?? "")?.[1] ?? "?";
    counts[informer] = (counts[informer] ?? 0) + Number(match[2]);
  }
  return counts;
}

const writes = async (): Promise<number> => {
  const requests = await scrapeRequests(operator.metricsUrl);
  return ["POST", "PUT", "PATCH", "DELETE"].reduce((sum, m) => sum + (requests[m] ?? 0), 0);
};
const requestsNow = (): Promise<Record<string, number>> => scrapeRequests(operator.metricsUrl);

/** Waits until each named service reports Stalled=True. */
async function waitStalled(names: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const stalled = (name: string): boolean =>
    kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      "get",
      "cbs",
      "-n",
      namespace,
      name,
    ]).status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false;
  while (!names.every(stalled)) {
    if (Date.now() > deadline) throw new Error(`${names.join(", ")} not Stalled in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0);

/** Waits until the operator's write count holds still for `quietMs`. */
async function settled(quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await writes();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error("the operator kept writing");
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await writes();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

describe.runIf(inject("clusterKind") === "local")("a watch whose history is gone", () => {
  it(
    "gets 410 Gone, relists, synthesises the deletes it missed, and writes nothing",
    { timeout: 240_000 },
    async () => {
      applyFleet(namespace, services);
      kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", namespace, "-f", "-"], {
        input: deleted
          .map((name) =>
            stringify({
              apiVersion: "callback-operator.io/v1alpha1",
              kind: "CallbackService",
              metadata: { name },
              spec: { template: "no-such-template", scenario: "User-Terminated-Immediate" },
            }),
          )
          .join("---\n"),
      });
      await waitFleetReady(namespace, services, 120_000);
      await waitStalled(deleted, 60_000);
      await settled(3_000, 60_000);
      const before = {
        gone: total(await byInformer("callback_operator_watch_restarts_total", 'reason="gone"')),
        relists: await byInformer("callback_operator_relists_total"),
        deletions: await byInformer("callback_operator_relist_deletions_total"),
        writes: await writes(),
      };

      const requestsBefore = await requestsNow();
      operator.child.kill("SIGSTOP");
      try {
        // First cut its watches (a paused process would still find the deletions in its socket
        // buffers), then delete, then drop the history: etcd's by compaction, the watch cache's by
        // a second restart.
        await restartComponent(planeDir(), "kube-apiserver", 0);
        kubectl(["delete", "callbackservices", "-n", namespace, ...deleted, "--wait=true"]);
        await compactEtcd(planeDir());
        await restartComponent(planeDir(), "kube-apiserver", 0);
      } finally {
        operator.child.kill("SIGCONT");
      }

      // Until the services informer has relisted and found both deletions.
      const deadline = Date.now() + 90_000;
      while (
        (await byInformer("callback_operator_relist_deletions_total"))["CallbackService"] !==
        2 + (before.deletions["CallbackService"] ?? 0)
      ) {
        if (Date.now() > deadline) {
          const text = await scrapeMetrics(operator.metricsUrl);
          throw new Error(
            `the services informer never relisted the deletions:\n${text
              .split("\n")
              .filter((line) => /^callback_operator_(relist|watch)/.test(line))
              .join("\n")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await settled(5_000, 60_000);
      const after = {
        gone: total(await byInformer("callback_operator_watch_restarts_total", 'reason="gone"')),
        relists: await byInformer("callback_operator_relists_total"),
        deletions: await byInformer("callback_operator_relist_deletions_total"),
        writes: await writes(),
      };
      expect(after.gone).toBeGreaterThan(before.gone);
      expect(after.relists["CallbackService"]).toBeGreaterThan(
        before.relists["CallbackService"] ?? 0,
      );
      expect(
        (after.deletions["CallbackService"] ?? 0) - (before.deletions["CallbackService"] ?? 0),
      ).toBe(deleted.length);
      expect(after.writes - before.writes).toBe(0);
      expect(operator.child.exitCode).toBeNull();
      expect(fleetProblems(namespace)).toEqual([]);
      const grown = (from: Record<string, number>, to: Record<string, number>): string =>
        Object.entries(to)
          .filter(([kind, n]) => n > (from[kind] ?? 0))
          .map(([kind, n]) => `${kind} ${String(n - (from[kind] ?? 0))}`)
          .join(", ");
      recordFigures({
        id: "watch-gone",
        title:
          "410 Gone: history compacted while the operator was paused, two services deleted meanwhile",
        test: "test/reliability/watch-gone.test.ts",
        figures: [
          { label: "watch restarts on 410 Gone", value: after.gone - before.gone },
          { label: "relists by informer", value: grown(before.relists, after.relists) },
          { label: "deletions found by relists", value: grown(before.deletions, after.deletions) },
          { label: "writes after the relists", value: after.writes - before.writes },
          { label: "requests before", value: JSON.stringify(requestsBefore) },
          { label: "after", value: JSON.stringify(await requestsNow()) },
        ],
      });
    },
  );
});
