// A watch that silently stops delivering (half-open TCP) is detected by the informers' watchdog
// and re-established: a change made after the stall is still reconciled.
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  createNamespace,
  installCrds,
  kubeconfigPath,
  kubectl,
  kubectlJson,
} from "../support/cluster.ts";
import { spawnFreezingProxy } from "../support/freezing-proxy.ts";
import { spawnOperator, type OperatorProcess } from "../support/operator.ts";

const watchdogMs = 15_000; // server timeout 10 s + 5 s grace
let proxy: Awaited<ReturnType<typeof spawnFreezingProxy>>;
let operator: OperatorProcess;
let ns = "";

/** The test cluster's kubeconfig, with the server moved behind the proxy. */
function proxiedKubeconfig(port: number): string {
  const config = parse(readFileSync(kubeconfigPath(), "utf8")) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const entry of config.clusters) {
    entry.cluster.server = entry.cluster.server.replace(/:\d+$/, `:${String(port)}`);
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), "cbo-proxy-")), "kubeconfig");
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  installCrds();
  ns = createNamespace("stall");
  const server = kubectlJson<{ clusters: { cluster: { server: string } }[] }>([
    "config",
    "view",
    "--minify",
  ]);
  const apiPort = Number(/:(\d+)$/.exec(server.clusters[0]?.cluster.server ?? "")?.[1]);
  proxy = await spawnFreezingProxy(apiPort);
  operator = await spawnOperator("watch-stall", [
    `--kubeconfig=${proxiedKubeconfig(proxy.port)}`,
    "--leader-elect=false",
    `--namespaces=${ns}`,
    "--watch-timeout=10s",
    "--watchdog=5s",
  ]);
});

afterAll(async () => {
  const exit = new Promise((resolve) => operator.child.once("exit", resolve));
  operator.child.kill("SIGTERM");
  await exit;
  await proxy.close();
});

function applyService(ttl: string): void {
  kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
    input: stringify({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "CallbackService",
      metadata: { name: "stall" },
      spec: {
        scenario: "User-Terminated-Immediate",
        options: { _route_point: "8999@SIP_Switch", _ttl: ttl },
      },
    }),
  });
}

const ttl = (): string | undefined =>
  kubectlJson<{ data?: Record<string, string> }>(["get", "configmap", "-n", ns, "service.stall"])
    .data?.["_ttl"];

describe("a silently stalled watch", () => {
  it("is detected by the watchdog and recovered, so later changes are reconciled", async () => {
    applyService("60");
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=60s", "cbs/stall"]);
    const before = proxy.connections();
    proxy.freeze();
    const frozenAt = Date.now();
    applyService("120");
    await expect.poll(ttl, { timeout: 60_000, interval: 250 }).toBe("120");
    const recoveryMs = Date.now() - frozenAt;
    process.stderr.write(
      `[watch-stall] change reconciled ${String(recoveryMs)} ms after the stall\n`,
    );
    // Within one watch timeout plus the grace, over new connections.
    expect(recoveryMs).toBeLessThan(watchdogMs + 10_000);
    await expect.poll(() => proxy.connections()).toBeGreaterThan(before);
    const metrics = await (await fetch(operator.metricsUrl)).text();
    const stalls = [
      ...metrics.matchAll(
        /^callback_operator_watch_restarts_total\{[^}]*reason="stalled"[^}]*\} (\d+)/gm,
      ),
    ];
    expect(stalls.reduce((sum, m) => sum + Number(m[1]), 0)).toBeGreaterThan(0);
  }, 120_000);
});
