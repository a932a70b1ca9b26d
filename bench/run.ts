// `npm run bench` (quick, under 10 minutes) and `npm run bench -- --full`: every measurement of
// docs/benchmarks.md on one local control plane, each contender measured in the same run, in
// rotating order, so that a noisy machine shifts the baselines as much as the operator.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { benchCallbackApi, type CallbackApiBenchResult } from "./callback-api.ts";
import type { ContenderName, RunningController } from "./contenders.ts";
import {
  baseTemplateValue,
  changeLatency,
  cleanUp,
  converge,
  fanOut,
  growTo,
  idleOf,
  idleRequests,
  latencyOf,
  memory,
  startController,
  type IdleResult,
  type LatencyResult,
  type LatencySamples,
  type Converged,
  type MemoryResult,
} from "./controller-bench.ts";
import { writeReport } from "./report.ts";
import { startBenchCluster, type BenchCluster } from "./support/bench-cluster.ts";
import { machineInfo, type MachineInfo } from "./support/machine.ts";
import { linearFit, median, ratio } from "./support/stats.ts";
import { applyBenchTemplate } from "./workload.ts";

export interface Profile {
  readonly name: "quick" | "full";
  /** Service counts of the convergence benchmark. */
  readonly sizes: readonly number[];
  readonly runs: number;
  /** The count at which latency, fan-out, idle cost and memory are measured. */
  readonly detailSize: number;
  readonly edits: number;
  readonly idleWindowSeconds: number;
  /** Counts the memory benchmark grows to beyond detailSize (services with 0 replicas). */
  readonly memorySizes: readonly number[];
}

export const profiles: Record<Profile["name"], Profile> = {
  // A smoke run of every measurement, under 10 minutes: the figures of docs/benchmarks.md come
  // from the full profile.
  quick: {
    name: "quick",
    sizes: [30, 100],
    runs: 3,
    detailSize: 100,
    edits: 10,
    idleWindowSeconds: 20,
    memorySizes: [],
  },
  full: {
    name: "full",
    sizes: [100, 1000, 5000],
    runs: 3,
    detailSize: 1000,
    edits: 50,
    idleWindowSeconds: 60,
    memorySizes: [5000, 10000],
  },
};

/**
 * `--sizes=100,1000` and `--memory-sizes=5000` override the profile's lists, `--runs=1` its runs
 * (recorded in the results).
 */
function withOverrides(profile: Profile, argv: readonly string[]): Profile {
  const list = (flag: string): number[] | undefined => {
    const raw = argv.find((a) => a.startsWith(`--${flag}=`))?.split("=")[1];
    if (raw === undefined) return undefined;
    const values = raw === "" ? [] : raw.split(",").map(Number);
    if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
      throw new Error(`--${flag}=${raw}: use a comma-separated list of whole numbers`);
    }
    return values;
  };
  const [runs] = list("runs") ?? [profile.runs];
  return {
    ...profile,
    sizes: list("sizes") ?? profile.sizes,
    memorySizes: list("memory-sizes") ?? profile.memorySizes,
    runs: runs ?? profile.runs,
  };
}

const contenders: readonly ContenderName[] = ["raw-floor", "operator", "go-peer"];
type Controller = Exclude<ContenderName, "raw-floor">;

/** Everything one run measured; docs/benchmarks.md documents each field. */
export interface BenchResults {
  readonly profile: Profile;
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly durationSeconds: number;
  /** Seconds from the first apply until all N services are Ready, per run, and their median. */
  readonly convergence: readonly {
    readonly services: number;
    readonly contender: ContenderName;
    readonly runsSeconds: readonly number[];
    readonly medianSeconds: number;
  }[];
  /** Median operator time over each baseline's, per size. */
  readonly convergenceRatios: readonly {
    readonly services: number;
    readonly operatorOverFloor: number;
    readonly operatorOverPeer: number;
  }[];
  readonly latency: Readonly<Record<Controller, LatencyResult>>;
  /** Seconds until every ConfigMap carries a changed template default, per run and median. */
  readonly fanOut: Readonly<
    Record<Controller, { readonly runsSeconds: readonly number[]; readonly medianSeconds: number }>
  >;
  readonly idle: Readonly<Record<Controller, IdleResult>>;
  /** From 0 services (the fixed cost, an idle controller) up to the profile's largest size. */
  readonly memory: Readonly<Record<Controller, readonly MemoryResult[]>>;
  /** The least-squares line through `memory`: MiB at 0 services and MiB per 1,000 services. */
  readonly memoryFit: Readonly<Record<Controller, MemoryFit>>;
  readonly callbackApi: CallbackApiBenchResult;
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export interface MemoryFit {
  readonly rss: { readonly fixedMiB: number; readonly perThousandMiB: number };
  readonly heap: { readonly fixedMiB: number; readonly perThousandMiB: number };
}

/** MiB to one decimal, as the results report memory. */
const roundMiB = (n: number): number => Math.round(n * 10) / 10;

function memoryFit(memory: readonly MemoryResult[]): MemoryFit {
  const line = (value: (m: MemoryResult) => number) => {
    const fit = linearFit(memory.map((m) => [m.services, value(m)]));
    return { fixedMiB: roundMiB(fit.intercept), perThousandMiB: roundMiB(fit.slope * 1000) };
  };
  return { rss: line((m) => m.rssMiB), heap: line((m) => m.heapMiB) };
}

/** The contenders in a different order each run. */
function rotation(run: number): ContenderName[] {
  return contenders.map((_, i) => contenders[(i + run) % contenders.length] as ContenderName);
}

/** What the detail measurements collected for one controller, a sample from each run. */
interface DetailSamples {
  readonly idle: IdleResult[];
  readonly memory: MemoryResult[];
  /** Memory at the profile's larger sizes, grown to in the last run only (the slowest step). */
  readonly grown: MemoryResult[];
  readonly latency: LatencySamples;
  readonly fanOutSeconds: number[];
}

function noSamples(): DetailSamples {
  return {
    idle: [],
    memory: [],
    grown: [],
    latency: { configMapMs: [], readyMs: [] },
    fanOutSeconds: [],
  };
}

/**
 * With `profile.detailSize` services converged, one sample of each detail measurement: idle cost,
 * memory, change latency (a share of the profile's edits) and one fan-out; in the last run also the
 * growth to the memory sizes. Every run takes them, so each controller is measured in every
 * position of the rotation.
 */
async function measureDetails(
  cluster: BenchCluster,
  converged: Converged & { readonly controller: RunningController },
  profile: Profile,
  run: number,
  samples: DetailSamples,
): Promise<void> {
  const services = profile.detailSize;
  const running = converged.controller;
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // settle
  samples.idle.push(await idleRequests(running, profile.idleWindowSeconds));
  log(`idle: ${JSON.stringify(samples.idle.at(-1))}`);
  samples.memory.push(await memory(running, services));
  const edits = Math.ceil(profile.edits / profile.runs);
  await changeLatency(
    cluster.client,
    { namespace: converged.namespace, count: services },
    edits,
    { replicas: 1 },
    samples.latency,
  );
  log(`latency so far: ${JSON.stringify(latencyOf(samples.latency))}`);
  const value = String(Number(baseTemplateValue) + run + 1);
  samples.fanOutSeconds.push(await fanOut(cluster.client, converged.namespace, services, value));
  log(`fan-out: ${String(samples.fanOutSeconds.at(-1)?.toFixed(1))} s`);
  if (run !== profile.runs - 1) return;
  let grown = services;
  for (const target of profile.memorySizes) {
    await growTo(cluster.client, converged.namespace, grown, target, { replicas: 0 });
    grown = target;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    samples.grown.push(await memory(running, target));
    log(`memory at ${String(target)}: ${JSON.stringify(samples.grown.at(-1))}`);
  }
}

/** Idle controllers with 0 services, each sampled twice in the order A B B A: the fixed cost. */
async function fixedCost(cluster: BenchCluster): Promise<Record<Controller, MemoryResult>> {
  const samples: Record<Controller, MemoryResult[]> = { operator: [], "go-peer": [] };
  const order: Controller[] = ["operator", "go-peer", "go-peer", "operator"];
  for (const [i, contender] of order.entries()) {
    const controller = await startController(cluster, contender, `idle-${String(i)}`);
    // Caches synced and start-up garbage collected: what a fleet of none costs.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    samples[contender].push(await memory(controller, 0));
    await controller.stop();
    log(`memory of an idle ${contender}: ${JSON.stringify(samples[contender].at(-1))}`);
  }
  const medianOf = (list: readonly MemoryResult[]): MemoryResult => ({
    services: 0,
    rssMiB: roundMiB(median(list.map((m) => m.rssMiB))),
    heapMiB: roundMiB(median(list.map((m) => m.heapMiB))),
  });
  return { operator: medianOf(samples.operator), "go-peer": medianOf(samples["go-peer"]) };
}

/** The samples of every run as the results report them: medians and percentiles over the runs. */
function summarize(samples: DetailSamples, idle: MemoryResult) {
  const medianMemory: MemoryResult = {
    services: samples.memory[0]?.services ?? Number.NaN,
    rssMiB: median(samples.memory.map((m) => m.rssMiB)),
    heapMiB: median(samples.memory.map((m) => m.heapMiB)),
  };
  return {
    idle: idleOf(samples.idle),
    memory: [idle, medianMemory, ...samples.grown],
    latency: latencyOf(samples.latency),
    fanOut: { runsSeconds: samples.fanOutSeconds, medianSeconds: median(samples.fanOutSeconds) },
  };
}

export async function runBench(profile: Profile): Promise<BenchResults> {
  const startedAt = new Date();
  const cluster = await startBenchCluster(log);
  const details: Record<Controller, DetailSamples> = {
    operator: noSamples(),
    "go-peer": noSamples(),
  };
  const runs = new Map<string, number[]>();
  let idleMemory: Record<Controller, MemoryResult> | undefined;
  // Every (size, run, contender), the contenders rotating from run to run.
  const plan = profile.sizes.flatMap((services) =>
    Array.from({ length: profile.runs }, (_, run) =>
      rotation(run).map((contender) => ({ services, run, contender })),
    ).flat(),
  );
  try {
    idleMemory = await fixedCost(cluster);
    for (const { services, run, contender } of plan) {
      await applyBenchTemplate(cluster.client, baseTemplateValue);
      const id = `${contender}-${String(services)}-${String(run)}`;
      const converged = await converge(cluster, contender, services, { replicas: 1 }, id);
      const key = `${String(services)}/${contender}`;
      runs.set(key, [...(runs.get(key) ?? []), converged.seconds]);
      log(
        `${id}: ${converged.seconds.toFixed(1)} s to ${String(services)} services Ready; ` +
          `controller CPU ${converged.cpuSeconds.toFixed(1)} s, requests ${JSON.stringify(converged.requests)}`,
      );
      const { controller } = converged;
      if (services === profile.detailSize && controller !== undefined) {
        await measureDetails(
          cluster,
          { ...converged, controller },
          profile,
          run,
          details[contender as Controller],
        );
      }
      await cleanUp(cluster, converged);
    }
  } finally {
    await cluster.stop();
  }
  const convergence = profile.sizes.flatMap((services) =>
    contenders.map((contender) => {
      const runsSeconds = runs.get(`${String(services)}/${contender}`) ?? [];
      return { services, contender, runsSeconds, medianSeconds: median(runsSeconds) };
    }),
  );
  const operatorDetails = summarize(details.operator, idleMemory.operator);
  const peerDetails = summarize(details["go-peer"], idleMemory["go-peer"]);
  log("Callback API");
  const callbackApi = await benchCallbackApi({ profile: profile.name, log });
  const medianOf = (services: number, contender: ContenderName) =>
    convergence.find((c) => c.services === services && c.contender === contender)?.medianSeconds ??
    Number.NaN;
  return {
    profile,
    machine: machineInfo(),
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    convergence,
    convergenceRatios: profile.sizes.map((services) => ({
      services,
      operatorOverFloor: ratio(medianOf(services, "operator"), medianOf(services, "raw-floor")),
      operatorOverPeer: ratio(medianOf(services, "operator"), medianOf(services, "go-peer")),
    })),
    latency: { operator: operatorDetails.latency, "go-peer": peerDetails.latency },
    fanOut: { operator: operatorDetails.fanOut, "go-peer": peerDetails.fanOut },
    idle: { operator: operatorDetails.idle, "go-peer": peerDetails.idle },
    memory: { operator: operatorDetails.memory, "go-peer": peerDetails.memory },
    memoryFit: {
      operator: memoryFit(operatorDetails.memory),
      "go-peer": memoryFit(peerDetails.memory),
    },
    callbackApi,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const profile = withOverrides(argv.includes("--full") ? profiles.full : profiles.quick, argv);
  if (!profile.sizes.includes(profile.detailSize)) {
    throw new Error(
      `--sizes must include ${String(profile.detailSize)}, the size the details are measured at`,
    );
  }
  log(`profile ${profile.name}`);
  const results = await runBench(profile);
  const dir = path.join(import.meta.dirname, "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${profile.name}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), file)}`);
  process.stdout.write(await writeReport(results));
}

if (import.meta.main) await main(process.argv.slice(2));
