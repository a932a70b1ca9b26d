// The operator as the tests run it: in-process (fast, one per test file) or as real processes
// (for leader election and kills). Either way it talks to the test cluster and serves /metrics.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../src/control-plane/ports.ts";
import { kubeconfigPath } from "./cluster.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
const logDir = path.join(repoRoot, ".cluster", "test-logs");

/** Where spawnOperator(name) writes the operator's log (appended to across runs of one name). */
export function operatorLogPath(name: string): string {
  return path.join(logDir, `${name}.log`);
}

export interface RunningOperator {
  readonly metricsUrl: string;
  /** Requests this operator sent to the apiserver so far, by HTTP method. */
  requests(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function scrapeRequests(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^rest_client_requests_total\{([^}]*)\} (\d+)/gm)) {
    const method = /method="([A-Z]+)"/.exec(match[1] ?? "")?.[1] ?? "?";
    counts[method] = (counts[method] ?? 0) + Number(match[2]);
  }
  return counts;
}

/**
 * The operator as a real process, as the image runs it. Never in the test's own process: the
 * tests drive kubectl synchronously, which would freeze an in-process operator's event loop.
 */
export async function startOperator(
  name: string,
  args: readonly string[] = [],
): Promise<RunningOperator> {
  const operator = await spawnOperator(name, ["--leader-elect=false", ...args]);
  const exited = new Promise<never>((_, reject) => {
    operator.child.once("exit", (code) => {
      reject(
        new Error(`The operator exited with ${String(code)}; see .cluster/test-logs/${name}.log`),
      );
    });
  });
  exited.catch(() => undefined);
  await Promise.race([waitOk(operator.metricsUrl.replace("/metrics", "/readyz")), exited]);
  return {
    metricsUrl: operator.metricsUrl,
    requests: () => scrapeRequests(operator.metricsUrl),
    async stop() {
      if (operator.child.exitCode !== null) return;
      const exit = new Promise((resolve) => operator.child.once("exit", resolve));
      operator.child.kill("SIGTERM");
      await exit;
    },
  };
}

async function waitOk(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The operator did not answer 200 at ${url} within 60 s`);
}

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  readonly identity: string;
  /** Rejects when the process exits. */
  readonly exited: Promise<never>;
}

export interface SpawnOptions {
  /** Credentials of the operator; the admin kubeconfig of the test cluster by default. */
  readonly kubeconfig?: string;
}

/** The operator as a real process, as the image runs it; its log goes to .cluster/test-logs. */
export async function spawnOperator(
  name: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<OperatorProcess> {
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const log = openSync(operatorLogPath(name), "a");
  const child = spawn(
    path.join(repoRoot, "node_modules/.bin/node"),
    [
      path.join(repoRoot, "bin/callback-operator.js"),
      "operator",
      `--kubeconfig=${options.kubeconfig ?? kubeconfigPath()}`,
      `--health-probe-bind-address=127.0.0.1:${port}`,
      "--callback-api-image=callback-operator:test",
      "--backoff-base=50ms",
      "--backoff-max=5s",
      "--watch-timeout=60s",
      "--watchdog=30s",
      ...args,
    ],
    { stdio: ["ignore", log, log] },
  );
  const exited = new Promise<never>((_, reject) => {
    child.once("exit", (code) => {
      reject(
        new Error(`The operator exited with ${String(code)}; see .cluster/test-logs/${name}.log`),
      );
    });
  });
  exited.catch(() => undefined);
  await Promise.race([waitOk(`http://127.0.0.1:${port}/healthz`), exited]);
  return { child, metricsUrl: `http://127.0.0.1:${port}/metrics`, identity: name, exited };
}
