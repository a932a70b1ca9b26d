// The operator as the tests run it: real processes against the test cluster, serving /metrics.
// Never in the test's own process: the tests drive kubectl synchronously, which would freeze an
// in-process operator's event loop.
import { kubeconfigPath } from "./cluster.ts";
import {
  scrapeRequests,
  spawnOperatorProcess,
  waitOk,
  type OperatorProcess,
} from "./operator-process.ts";

export { operatorLogPath, type OperatorProcess } from "./operator-process.ts";

export interface RunningOperator {
  readonly metricsUrl: string;
  /** Requests this operator sent to the apiserver so far, by HTTP method. */
  requests(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** One operator without leader election, ready (caches synced) when this resolves. */
export async function startOperator(
  name: string,
  args: readonly string[] = [],
): Promise<RunningOperator> {
  const operator = await spawnOperator(name, ["--leader-elect=false", ...args]);
  await Promise.race([waitOk(operator.metricsUrl.replace("/metrics", "/readyz")), operator.exited]);
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

export interface SpawnOptions {
  /** Credentials of the operator; the admin kubeconfig of the test cluster by default. */
  readonly kubeconfig?: string;
}

/** The operator as a real process; its log goes to .cluster/test-logs/<name>.log. */
export function spawnOperator(
  name: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<OperatorProcess> {
  return spawnOperatorProcess(name, args, options.kubeconfig ?? kubeconfigPath());
}
