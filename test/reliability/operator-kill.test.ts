// SIGKILL the operator at random moments while a fleet converges, restart it each time: the end
// state equals a clean run's (the rendered children, each written once, owned, nothing extra).
// `npm run test:soak` runs 300 services and 10 kills; `npm test` a smaller fleet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, installCrds } from "../support/cluster.ts";
import { recordFigures } from "../support/figures.ts";
import { applyFleet, fleetProblems, readyCount, waitFleetReady } from "../support/fleet.ts";
import { spawnOperator, type OperatorProcess } from "../support/operator.ts";

const soak = process.env["CALLBACK_OPERATOR_SOAK"] === "1";
const services = soak ? 300 : 120;
const kills = soak ? 10 : 4;

let namespace = "";
let operator: OperatorProcess | undefined;

function start(round: number): Promise<OperatorProcess> {
  return spawnOperator(`operator-kill-${String(round)}`, [
    "--leader-elect=false",
    `--namespaces=${namespace}`,
  ]);
}

async function kill(process: OperatorProcess): Promise<void> {
  const exited = new Promise((resolve) => process.child.once("exit", resolve));
  process.child.kill("SIGKILL");
  await exited;
}

beforeAll(() => {
  installCrds();
  namespace = createNamespace("kill");
});

afterAll(async () => {
  if (operator !== undefined && operator.child.exitCode === null) await kill(operator);
});

describe("the operator killed with SIGKILL during convergence", () => {
  it(
    `converges ${String(services)} services to a clean run's state across ${String(kills)} kills`,
    { timeout: 600_000 },
    async () => {
      operator = await start(0);
      applyFleet(namespace, services);
      const readyAtKill: number[] = [];
      for (let round = 1; round <= kills; round++) {
        // The first kill early (the fleet converges within seconds), the next ones 1–4 s apart.
        const pause = round === 1 ? 200 + Math.random() * 600 : 1_000 + Math.random() * 3_000;
        await new Promise((resolve) => setTimeout(resolve, pause));
        await kill(operator);
        readyAtKill.push(readyCount(namespace));
        operator = await start(round);
      }
      const afterLastKill = await waitFleetReady(namespace, services, 300_000);
      // The kills landed mid-convergence, not after it: otherwise this proves nothing.
      expect(readyAtKill[0]).toBeLessThan(services);
      expect(fleetProblems(namespace)).toEqual([]);
      recordFigures({
        id: "operator-kill",
        title: "Operator SIGKILLed while services converge",
        test: "test/reliability/operator-kill.test.ts",
        figures: [
          { label: "services", value: services },
          { label: "kills", value: kills },
          { label: "Ready at each kill", value: readyAtKill.join(", ") },
          { label: "all Ready after the last restart", value: afterLastKill.toFixed(1), unit: "s" },
        ],
      });
    },
  );
});
