// Two operator replicas: only the Lease holder writes; killing it hands over within 20 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createNamespace, installCrds, kubectl, kubectlJson } from "../support/cluster.ts";
import { scrapeRequests, spawnOperator, type OperatorProcess } from "../support/operator.ts";

let ns = "";
const replicas: OperatorProcess[] = [];

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

beforeAll(() => {
  installCrds();
  ns = createNamespace("leader");
});

afterAll(async () => {
  for (const replica of replicas) {
    if (replica.child.exitCode === null && replica.child.signalCode === null) {
      const exit = new Promise((resolve) => replica.child.once("exit", resolve));
      replica.child.kill("SIGKILL");
      await exit;
    }
  }
});

async function start(name: string): Promise<OperatorProcess> {
  const replica = await spawnOperator(name, [
    "--leader-elect=true",
    `--leader-election-namespace=${ns}`,
    "--leader-election-id=callback-operator-test",
  ]);
  replicas.push(replica);
  return replica;
}

const holder = (): string | undefined =>
  kubectlJson<Lease>(["get", "lease", "-n", ns, "callback-operator-test"]).spec.holderIdentity ??
  undefined;

function applyService(name: string, ttl: string): void {
  kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
    input: stringify({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "CallbackService",
      metadata: { name },
      spec: {
        scenario: "User-Terminated-Immediate",
        options: { _route_point: "8999@SIP_Switch", _ttl: ttl },
      },
    }),
  });
}

async function patches(replica: OperatorProcess): Promise<number> {
  const counts: Record<string, number> = await scrapeRequests(replica.metricsUrl);
  return counts["PATCH"] ?? 0;
}

/** Identities are host_pid, so the Lease names the process that holds it. */
function leaderAmong(candidates: readonly OperatorProcess[]): OperatorProcess | undefined {
  const id = holder();
  return candidates.find((r) => id?.endsWith(`_${String(r.child.pid)}`) === true);
}

const alive = (r: OperatorProcess): boolean =>
  r.child.exitCode === null && r.child.signalCode === null;

describe("two operator replicas", () => {
  it("let only the leader write, and hand over within 20 s each time it is killed", async () => {
    await start("replica-1");
    await start("replica-2");
    await expect
      .poll(() => leaderAmong(replicas), { timeout: 60_000, interval: 250 })
      .toBeDefined();
    applyService("ha", "60");
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", "cbs/ha"]);

    for (let round = 1; round <= 3; round++) {
      const running = replicas.filter(alive);
      const leader = leaderAmong(running);
      if (leader === undefined) throw new Error("no live replica holds the Lease");
      const standbys = running.filter((r) => r !== leader);
      // Never two writers: the standbys have sent no PATCH (children and status are applied).
      for (const standby of standbys) expect(await patches(standby)).toBe(0);
      const killedAt = Date.now();
      leader.child.kill("SIGKILL");
      await expect
        .poll(() => leaderAmong(standbys), { timeout: 20_000, interval: 200 })
        .toBeDefined();
      const takeoverMs = Date.now() - killedAt;
      process.stderr.write(`[leader-election] round ${round}: takeover in ${takeoverMs} ms\n`);
      expect(takeoverMs).toBeLessThan(20_000);
      const ttl = String(60 * (round + 1));
      applyService("ha", ttl);
      await expect
        .poll(
          () =>
            kubectlJson<{ data: Record<string, string> }>([
              "get",
              "configmap",
              "-n",
              ns,
              "service.ha",
            ]).data["_ttl"],
          { timeout: 30_000 },
        )
        .toBe(ttl);
      await start(`replica-${round + 2}`); // a fresh standby for the next round
    }
  }, 240_000);
});
