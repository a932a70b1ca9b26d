// The operator as a real process, as the image runs it: for the tests (test/support/operator.ts
// adds the test cluster's defaults) and for the benchmarks. No vitest here, so bench/ can use it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { Agent, fetch } from "undici";
import { parse } from "yaml";
import { freePort } from "../../src/control-plane/ports.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
const logDir = path.join(repoRoot, ".cluster", "test-logs");

/** Where spawnOperatorProcess(name) writes the operator's log (appended to across runs of one name). */
export function operatorLogPath(name: string): string {
  return path.join(logDir, `${name}.log`);
}

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  readonly identity: string;
  /** Rejects when the process exits. */
  readonly exited: Promise<never>;
}

// A new connection per scrape. Tests block the event loop with synchronous kubectl calls between
// scrapes; a kept-alive socket the server closed meanwhile (its 5 s keep-alive timeout) is then
// still in the pool, and reusing it fails with "other side closed".
const freshConnections = new Agent({ pipelining: 0 });

/** The text of a /metrics endpoint. */
export async function scrapeMetrics(metricsUrl: string): Promise<string> {
  return await (await fetch(metricsUrl, { dispatcher: freshConnections })).text();
}

/** Requests a controller sent to the apiserver so far, by HTTP method (controller-runtime's metric). */
export async function scrapeRequests(metricsUrl: string): Promise<Record<string, number>> {
  const text = await scrapeMetrics(metricsUrl);
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^rest_client_requests_total\{([^}]*)\} (\d+)/gm)) {
    const method = /method="([A-Z]+)"/.exec(match[1] ?? "")?.[1] ?? "?";
    counts[method] = (counts[method] ?? 0) + Number(match[2]);
  }
  return counts;
}

export async function waitOk(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`No 200 from ${url} within ${String(timeoutMs / 1000)} s`);
}

/**
 * The tests' timings: quick retries, and watches the server ends every minute so that resumption
 * is exercised. Benchmarks run with the production defaults instead (`timings: "production"`).
 */
const testTimings = [
  "--backoff-base=50ms",
  "--backoff-max=5s",
  "--watch-timeout=60s",
  "--watchdog=30s",
];

/** The chart's NODE_OPTIONS of the operator container (values.yaml `nodeOptions`). */
function chartNodeOptions(): string {
  const values = parse(
    readFileSync(path.join(repoRoot, "charts/callback-operator/values.yaml"), "utf8"),
  ) as { nodeOptions?: string };
  return values.nodeOptions ?? "";
}

/**
 * Starts the operator (with the test timings unless told); resolves once /healthz answers. With
 * the production timings it also runs with the chart's NODE_OPTIONS, as the operator pod does.
 */
export async function spawnOperatorProcess(
  name: string,
  args: readonly string[],
  kubeconfig: string,
  timings: "test" | "production" = "test",
): Promise<OperatorProcess> {
  mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const log = openSync(operatorLogPath(name), "a");
  const child = spawn(
    path.join(repoRoot, "node_modules/.bin/node"),
    [
      path.join(repoRoot, "bin/callback-operator.js"),
      "operator",
      `--kubeconfig=${kubeconfig}`,
      `--health-probe-bind-address=127.0.0.1:${port}`,
      "--callback-api-image=callback-operator:test",
      ...(timings === "test" ? testTimings : []),
      ...args,
    ],
    {
      stdio: ["ignore", log, log],
      ...(timings === "production"
        ? { env: { ...process.env, NODE_OPTIONS: chartNodeOptions() } }
        : {}),
    },
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
