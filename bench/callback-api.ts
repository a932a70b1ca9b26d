// Callback API benchmark (issue 7 item 6): start-callback throughput and latency of the real server
// process on loopback, against raw INSERTs of the same rows over a pool of the same size, and with
// embedded PGlite against raw INSERTs into PGlite (its own floor, in this process).
//
// Scenario: scheduled start-callbacks (POST /genesys/1/service/callback/{name} with a `_desired_time`
// a day ahead), JSON bodies, each with its own valid US number, spread round-robin over a day of
// 5-minute buckets. Nothing falls due during a run, so the dispatcher does only its idle poll (one
// promote and one empty claim per second) and never competes with the starts; every start still
// runs the full rule set of the defaults: number checks, then one prepared statement, the function
// `callback_api_start` in its own transaction (ADR 0121: the rule locks with a rate lane, the rate
// windows from the kept counts of ADR 0137, in-queue count, bucket count, insert and the counts'
// trigger; scheduled starts have no daily throttle), where the raw baseline runs one INSERT into a
// table without the trigger. It took 7 statements before (BEGIN … COMMIT).
//
// Method: every run gets a fresh database (and server process); a warm-up precedes the measured
// requests; backends are interleaved run by run, in an order rotated each run, so drift on the
// machine spreads over all of them. The HTTP floor (support/http-insert-floor.ts) is the raw
// INSERT behind a bare node:http server in a process of its own: the least any HTTP API pays.
// Reported figures are medians of the runs; `errors` sums the measured requests that failed. The
// CPU time of each process per request is read from /proc around the measured requests: unlike
// throughput it holds when other work shares the machine. With `--cpu-prof`, the servers of the
// last run are profiled (their figures include the profiler's small overhead).
//
//   node bench/callback-api.ts [quick|full] [--cpu-prof DIR]
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import { Pool } from "undici";
import {
  DEFAULT_POOL_SIZE,
  pgliteDatabase,
  postgresDatabase,
  type Database,
} from "../src/callback-api/database.ts";
import { findAdminUrl, createDatabase } from "../test/callback-api/support/postgres-admin.ts";
import {
  startServer,
  stopServer,
  writeConfigDir,
} from "../test/callback-api/support/server-process.ts";
import {
  summarizeCpuProfile,
  type ProfileSummary,
  type ProfileWindow,
} from "./support/cpu-profile.ts";
import { machineInfo, type MachineInfo } from "./support/machine.ts";
import { postgresBackendPids, processCpuMs, processesCpuMs } from "./support/proc-cpu.ts";
import { bareCallbacksTable, INSERT_SQL, insertParams } from "./support/http-insert-floor.ts";
import { median, percentile, ratio } from "./support/stats.ts";

const HTTP_FLOOR = join(import.meta.dirname, "support", "http-insert-floor.ts");

export const BACKENDS = [
  "callback-api-postgres",
  "raw-insert-postgres",
  "http-insert-postgres",
  "callback-api-pglite",
  "raw-insert-pglite",
] as const;
export type Backend = (typeof BACKENDS)[number];
type ServerBackend = "callback-api-postgres" | "callback-api-pglite";

/**
 * CPU time per measured request, in ms, by process: the load generator (this process: HTTP client
 * or `pg` pool), the Callback API server, and the PostgreSQL backends serving the run's database.
 * Unlike throughput it barely moves when other work shares the machine. Null where it does not
 * apply (no server for raw INSERTs, no PostgreSQL process for PGlite) or cannot be read (not Linux).
 */
export interface CpuPerRequest {
  readonly client: number;
  readonly server: number | null;
  readonly postgres: number | null;
}

/** One measured run of one backend. */
export interface RunResult {
  /** Measured requests (or INSERTs) per second of wall time, first send to last answer. */
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly cpuMsPerRequest: CpuPerRequest;
}

/** One backend over all its runs. */
export interface BackendResult {
  /** Measured requests (HTTP start-callbacks, or INSERT statements) per run, warm-up excluded. */
  readonly requests: number;
  /** Requests kept in flight at once by the load generator. */
  readonly concurrency: number;
  /** PostgreSQL connections in the pool (the server's and the raw pool's); 1 for PGlite, which has one embedded connection. */
  readonly poolSize: number;
  /** Median over runs of each run's throughput (requests per second). */
  readonly throughputPerSecond: number;
  /** Median over runs of each run's median latency, in ms, as the client saw it (HTTP included for the API). */
  readonly p50Ms: number;
  /** Median over runs of each run's 99th-percentile latency (nearest rank), in ms. */
  readonly p99Ms: number;
  /** Failed measured requests (non-200 answers, exceptions), summed over runs. Warm-up excluded. */
  readonly errors: number;
  /** Median over runs of each process's CPU per request. */
  readonly cpuMsPerRequest: CpuPerRequest;
  readonly runs: readonly RunResult[];
}

export interface CallbackApiBenchResult {
  readonly profile: "quick" | "full";
  readonly machine: MachineInfo;
  /** Measured runs per backend; each figure above is their median. */
  readonly runsPerBackend: number;
  /** Unmeasured requests sent to each fresh server (and pool) before the measured ones. */
  readonly warmupRequests: number;
  readonly backends: Readonly<Record<Backend, BackendResult>>;
  /** Callback API figures over the raw-INSERT ones (throughput: higher is better; latency: lower is better). */
  readonly ratios: {
    readonly postgresThroughput: number;
    /** PGlite's Callback API over raw INSERT into PGlite (issue 19: "its own raw INSERT"). */
    readonly pgliteThroughput: number;
    /** The Callback API over the HTTP floor: what the rules and the framework cost. */
    readonly postgresOverHttpFloor: number;
    /** The HTTP floor over raw INSERT: what an HTTP exchange on loopback costs by itself. */
    readonly httpFloorOverRaw: number;
    readonly postgresP50: number;
    readonly postgresP99: number;
    readonly pgliteP99: number;
  };
  /** Issue 19 target (issue 7 asked 0.6): Callback API start throughput on PostgreSQL >= 0.5 × raw INSERT. */
  readonly target: { readonly ratio: 0.5; readonly met: boolean };
  /**
   * Where each server process spent its CPU during the measured requests of the last run (warm-up,
   * start-up and shutdown excluded), when `cpuProfileDir` was given.
   */
  readonly serverProfiles?: Partial<Record<ServerBackend, ProfileSummary>>;
}

export interface BenchOptions {
  readonly profile: "quick" | "full";
  readonly log: (message: string) => void;
  /** Run the servers of the last run under `node --cpu-prof`; the profiles are written here. */
  readonly cpuProfileDir?: string;
}

const SIZES = {
  quick: { requests: 1_500, warmup: 200, concurrency: 32, runs: 3 },
  full: { requests: 10_000, warmup: 1_000, concurrency: 32, runs: 5 },
} as const;

const SERVICE = "bench";
const BUCKET_MS = 5 * 60_000;
const BUCKETS = 288; // one day of 5-minute buckets
/**
 * The options of a busy service: the defaults (number checks, in-queue checking, throttle) with the
 * caps raised, as `two-replicas.test.ts` does, so that no request of a run is refused.
 */
const SERVICE_OPTIONS = {
  _max_request_by_time_bucket: "100000",
  _max_queued_callbacks_per_service: "100000",
  _throttle_callbacks_per_service_1: "100000",
  _throttle_callbacks_per_service_2: "100000",
};

/** What request `i` of a run carries: a distinct possible US number and its bucket's time. */
interface StartRequest {
  readonly customerNumber: string;
  readonly desiredTime: number;
  readonly order: string;
}

function startRequest(i: number, base: number): StartRequest {
  const exchange = 200 + Math.floor(i / 10_000);
  return {
    customerNumber: `+1650${exchange}${String(i % 10_000).padStart(4, "0")}`,
    desiredTime: base + (i % BUCKETS) * BUCKET_MS,
    order: `B-${i}`,
  };
}

/** A bucket boundary a day ahead: inside `_reject_future_desired_time` (1M), never due in a run. */
function scheduleBase(now: number): number {
  return Math.ceil((now + 86_400_000) / BUCKET_MS) * BUCKET_MS;
}

interface Sample {
  readonly latencies: number[];
  readonly elapsedMs: number;
  readonly errors: number;
}

/** Runs `count` operations with `concurrency` in flight; `op` resolves false (or throws) on failure. */
async function drive(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<boolean>,
  onError: (error: string) => void,
): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const started = performance.now();
      let ok: boolean;
      try {
        ok = await op(i);
      } catch (error) {
        ok = false;
        onError(error instanceof Error ? error.message : String(error));
      }
      latencies.push(performance.now() - started);
      if (!ok) errors++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, elapsedMs: performance.now() - started, errors };
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

interface CpuSnapshot {
  readonly client: number;
  readonly server: number | undefined;
  readonly postgres: number | undefined;
}

/** What a run's CPU accounting watches: the server process and the database's backends. */
interface Probe {
  readonly serverPid: number | undefined;
  readonly postgresPids: readonly number[];
}

function cpuSnapshot(probe: Probe): CpuSnapshot {
  const { user, system } = process.cpuUsage();
  return {
    client: (user + system) / 1000,
    server: processCpuMs(probe.serverPid),
    postgres: probe.postgresPids.length === 0 ? undefined : processesCpuMs(probe.postgresPids),
  };
}

function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, count: number): CpuPerRequest {
  const per = (a: number | undefined, b: number | undefined): number | null =>
    a === undefined || b === undefined ? null : round2((b - a) / count);
  return {
    client: per(before.client, after.client) ?? 0,
    server: per(before.server, after.server),
    postgres: per(before.postgres, after.postgres),
  };
}

interface RunContext {
  readonly adminUrl: string;
  readonly requests: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly poolSize: number;
  readonly configDir: string;
  readonly log: (message: string) => void;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Measured {
  readonly result: RunResult;
  readonly window: ProfileWindow;
}

/**
 * Warm-up, then the measured operations, with the CPU of every process involved read around the
 * measured ones. `database` names the PostgreSQL database whose backends to watch.
 */
async function measure(
  ctx: RunContext,
  target: { readonly serverPid?: number | undefined; readonly database?: string | undefined },
  op: (i: number) => Promise<boolean>,
  onError: (error: string) => void,
): Promise<Measured> {
  await drive(ctx.warmup, ctx.concurrency, op, onError);
  // The pool has opened all its connections during the warm-up (concurrency > pool size).
  const probe: Probe = {
    serverPid: target.serverPid,
    postgresPids:
      target.database === undefined ? [] : await postgresBackendPids(ctx.adminUrl, target.database),
  };
  const before = cpuSnapshot(probe);
  const fromUs = nowUs();
  const sample = await drive(ctx.requests, ctx.concurrency, (i) => op(ctx.warmup + i), onError);
  const toUs = nowUs();
  const after = cpuSnapshot(probe);
  return {
    result: {
      throughputPerSecond: Math.round((ctx.requests / sample.elapsedMs) * 1000),
      p50Ms: round2(percentile(sample.latencies, 50)),
      p99Ms: round2(percentile(sample.latencies, 99)),
      errors: sample.errors,
      cpuMsPerRequest: cpuPerRequest(before, after, ctx.requests),
    },
    window: { fromUs, toUs },
  };
}

/** Start-callbacks over HTTP against one fresh server (the Callback API's or the HTTP floor's). */
async function measureServer(
  server: { readonly base: string; readonly child: ChildProcess },
  ctx: RunContext,
  database: string | undefined,
): Promise<Measured> {
  const http = new Pool(server.base, { connections: ctx.concurrency, pipelining: 1 });
  const path = `/genesys/1/service/callback/${SERVICE}`;
  const base = scheduleBase(Date.now());
  let firstError: string | undefined;
  const onError = (error: string): void => {
    firstError ??= error;
  };
  const post = async (i: number): Promise<boolean> => {
    const request = startRequest(i, base);
    const response = await http.request({
      method: "POST",
      path,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        _customer_number: request.customerNumber,
        _desired_time: new Date(request.desiredTime).toISOString(),
        order: request.order,
      }),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) onError(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
    return response.statusCode === 200;
  };
  try {
    return await measure(ctx, { serverPid: server.child.pid, database }, post, onError);
  } finally {
    if (firstError !== undefined) ctx.log(`  first error: ${firstError}`);
    await http.close();
  }
}

async function withDatabase<T>(
  ctx: RunContext,
  fn: (url: string, name: string) => Promise<T>,
): Promise<T> {
  const name = `cbbench_${randomBytes(4).toString("hex")}`;
  const database = await createDatabase(ctx.adminUrl, name);
  try {
    return await fn(database.url, name);
  } finally {
    await database.drop();
  }
}

interface ServerRun {
  readonly result: RunResult;
  readonly profile?: ProfileSummary;
}

/** One fresh server process, measured; under `--cpu-prof` when `profileDir` is given. */
async function runServer(
  ctx: RunContext,
  storage: { readonly args: string[]; readonly database?: string },
  profile: { readonly dir: string; readonly name: string } | undefined,
): Promise<ServerRun> {
  const profileFile = profile === undefined ? undefined : `${profile.name}.cpuprofile`;
  const nodeArgs =
    profile === undefined
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profileFile ?? ""}`];
  const server = await startServer(
    ["--service-name", SERVICE, "--config-dir", ctx.configDir, ...storage.args],
    60_000,
    { nodeArgs },
  );
  let measured: Measured;
  try {
    measured = await measureServer(server, ctx, storage.database);
  } finally {
    // The profile is written as the process exits.
    await stopServer(server);
  }
  if (profile === undefined || profileFile === undefined) return { result: measured.result };
  return {
    result: measured.result,
    profile: await summarizeCpuProfile(join(profile.dir, profileFile), measured.window),
  };
}

async function runApiPostgres(ctx: RunContext, profileDir?: string): Promise<ServerRun> {
  return withDatabase(ctx, (url, database) =>
    runServer(
      ctx,
      { args: ["--database-url", url, "--database-pool-size", String(ctx.poolSize)], database },
      profileDir === undefined ? undefined : { dir: profileDir, name: "callback-api-postgres" },
    ),
  );
}

async function runApiPglite(ctx: RunContext, profileDir?: string): Promise<ServerRun> {
  const dataDir = await mkdtemp(join(tmpdir(), "cbbench-pglite-"));
  try {
    return await runServer(
      ctx,
      { args: ["--data-dir", dataDir] },
      profileDir === undefined ? undefined : { dir: profileDir, name: "callback-api-pglite" },
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Raw INSERTs of the same rows into a bare callbacks table, measured like a server's requests. */
async function measureRawInserts(
  ctx: RunContext,
  db: Database,
  database: string | undefined,
): Promise<ServerRun> {
  await bareCallbacksTable(db);
  const base = scheduleBase(Date.now());
  const insert = async (i: number): Promise<boolean> => {
    const request = startRequest(i, base);
    const rows = await db.query(
      INSERT_SQL,
      insertParams(SERVICE, request.customerNumber, request.desiredTime, request.order),
    );
    return rows.length === 1;
  };
  let firstError: string | undefined;
  const onError = (error: string): void => {
    firstError ??= error;
  };
  const { result } = await measure(ctx, { database }, insert, onError);
  if (firstError !== undefined) ctx.log(`  first error: ${firstError}`);
  return { result };
}

/** The baseline: the same rows straight into the migrated table over a pool of the same size, no HTTP. */
async function runRawInsert(ctx: RunContext): Promise<ServerRun> {
  return withDatabase(ctx, async (url, database) => {
    const db = postgresDatabase(url, ctx.poolSize);
    try {
      return await measureRawInserts(ctx, db, database);
    } finally {
      await db.close();
    }
  });
}

/**
 * PGlite's own floor: the same INSERTs into PGlite on a data directory, in this process (the
 * engine's CPU is counted as the client's), as the Callback API's PGlite does in its server.
 */
async function runRawInsertPglite(ctx: RunContext): Promise<ServerRun> {
  const dataDir = await mkdtemp(join(tmpdir(), "cbbench-pglite-raw-"));
  try {
    const db = await pgliteDatabase(dataDir);
    try {
      return await measureRawInserts(ctx, db, undefined);
    } finally {
      await db.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The HTTP floor (bench/support/http-insert-floor.ts) in a process of its own, on a fresh database. */
async function runHttpInsert(ctx: RunContext): Promise<ServerRun> {
  return withDatabase(ctx, async (url, database) => {
    const child = spawn(process.execPath, [HTTP_FLOOR, url, String(ctx.poolSize)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const port = await new Promise<number>((resolvePort, reject) => {
        child.stdout.once("data", (chunk: Buffer) => {
          resolvePort((JSON.parse(chunk.toString("utf8")) as { port: number }).port);
        });
        child.once("exit", (code) => {
          reject(new Error(`the HTTP floor exited with ${String(code)} before listening`));
        });
      });
      const server = { base: `http://127.0.0.1:${String(port)}`, child };
      const { result } = await measureServer(server, ctx, database);
      return { result };
    } finally {
      await stopServer({ child });
    }
  });
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : round2(median(known));
}

function combine(runs: readonly RunResult[], ctx: RunContext, poolSize: number): BackendResult {
  return {
    requests: ctx.requests,
    concurrency: ctx.concurrency,
    poolSize,
    throughputPerSecond: Math.round(median(runs.map((r) => r.throughputPerSecond))),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpuMsPerRequest: {
      client: median(runs.map((r) => r.cpuMsPerRequest.client)),
      server: medianOrNull(runs.map((r) => r.cpuMsPerRequest.server)),
      postgres: medianOrNull(runs.map((r) => r.cpuMsPerRequest.postgres)),
    },
    runs,
  };
}

export async function benchCallbackApi(options: BenchOptions): Promise<CallbackApiBenchResult> {
  const size = SIZES[options.profile];
  const configDir = await writeConfigDir(SERVICE_OPTIONS);
  const ctx: RunContext = {
    adminUrl: await findAdminUrl(),
    requests: size.requests,
    warmup: size.warmup,
    concurrency: size.concurrency,
    poolSize: DEFAULT_POOL_SIZE,
    configDir,
    log: options.log,
  };
  const profileDir =
    options.cpuProfileDir === undefined ? undefined : resolve(options.cpuProfileDir);
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
  const runs: Record<Backend, RunResult[]> = {
    "callback-api-postgres": [],
    "raw-insert-postgres": [],
    "http-insert-postgres": [],
    "callback-api-pglite": [],
    "raw-insert-pglite": [],
  };
  const serverProfiles: Partial<Record<ServerBackend, ProfileSummary>> = {};
  const machine = machineInfo();
  const began = performance.now();
  try {
    for (let run = 1; run <= size.runs; run++) {
      // Profiling slows the process it samples, so only the last run carries the profiler.
      const profiled = run === size.runs ? profileDir : undefined;
      const measures: Record<Backend, () => Promise<ServerRun>> = {
        "callback-api-postgres": () => runApiPostgres(ctx, profiled),
        "raw-insert-postgres": () => runRawInsert(ctx),
        "http-insert-postgres": () => runHttpInsert(ctx),
        "callback-api-pglite": () => runApiPglite(ctx, profiled),
        "raw-insert-pglite": () => runRawInsertPglite(ctx),
      };
      // A different order each run, so that drift on the machine favours no backend.
      const order = BACKENDS.map((_, i) => BACKENDS[(i + run - 1) % BACKENDS.length] as Backend);
      for (const backend of order) {
        const { result, profile } = await measures[backend]();
        runs[backend].push(result);
        if (
          profile !== undefined &&
          (backend === "callback-api-postgres" || backend === "callback-api-pglite")
        )
          serverProfiles[backend] = profile;
        const cpu = result.cpuMsPerRequest;
        options.log(
          `run ${run}/${size.runs} ${backend.padEnd(21)} ${String(result.throughputPerSecond).padStart(6)}/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  errors ${result.errors}  CPU ms/req client ${cpu.client} server ${cpu.server ?? "-"} postgres ${cpu.postgres ?? "-"}  (${Math.round((performance.now() - began) / 1000)} s)`,
        );
      }
    }
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
  const backends: Record<Backend, BackendResult> = {
    "callback-api-postgres": combine(runs["callback-api-postgres"], ctx, ctx.poolSize),
    "raw-insert-postgres": combine(runs["raw-insert-postgres"], ctx, ctx.poolSize),
    "http-insert-postgres": combine(runs["http-insert-postgres"], ctx, ctx.poolSize),
    "callback-api-pglite": combine(runs["callback-api-pglite"], ctx, 1),
    "raw-insert-pglite": combine(runs["raw-insert-pglite"], ctx, 1),
  };
  const api = backends["callback-api-postgres"];
  const raw = backends["raw-insert-postgres"];
  const httpFloor = backends["http-insert-postgres"];
  const pglite = backends["callback-api-pglite"];
  const rawPglite = backends["raw-insert-pglite"];
  const postgresThroughput = ratio(api.throughputPerSecond, raw.throughputPerSecond);
  return {
    profile: options.profile,
    machine,
    runsPerBackend: size.runs,
    warmupRequests: size.warmup,
    backends,
    ratios: {
      postgresThroughput,
      pgliteThroughput: ratio(pglite.throughputPerSecond, rawPglite.throughputPerSecond),
      postgresOverHttpFloor: ratio(api.throughputPerSecond, httpFloor.throughputPerSecond),
      httpFloorOverRaw: ratio(httpFloor.throughputPerSecond, raw.throughputPerSecond),
      postgresP50: ratio(api.p50Ms, raw.p50Ms),
      postgresP99: ratio(api.p99Ms, raw.p99Ms),
      pgliteP99: ratio(pglite.p99Ms, rawPglite.p99Ms),
    },
    target: { ratio: 0.5, met: postgresThroughput >= 0.5 },
    ...(profileDir === undefined ? {} : { serverProfiles }),
  };
}

/** A Markdown table of the result, as `npm run bench` prints it. */
export function formatCallbackApiResult(result: CallbackApiBenchResult): string {
  const lines = [
    `Callback API start-callback, ${result.profile}: median of ${result.runsPerBackend} runs, ${result.warmupRequests} warm-up requests each`,
    "",
    "| backend | requests | concurrency | pool | throughput/s | p50 ms | p99 ms | errors | CPU ms/req client | server | postgres |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...BACKENDS.map((name) => {
      const b = result.backends[name];
      const cpu = b.cpuMsPerRequest;
      return `| ${name} | ${b.requests} | ${b.concurrency} | ${b.poolSize} | ${b.throughputPerSecond} | ${b.p50Ms} | ${b.p99Ms} | ${b.errors} | ${cpu.client} | ${cpu.server ?? "-"} | ${cpu.postgres ?? "-"} |`;
    }),
    "",
    `API/raw throughput: PostgreSQL ${result.ratios.postgresThroughput}, PGlite ${result.ratios.pgliteThroughput}; ` +
      `API/raw p99: PostgreSQL ${result.ratios.postgresP99}, PGlite ${result.ratios.pgliteP99}; ` +
      `API/HTTP floor ${result.ratios.postgresOverHttpFloor}, HTTP floor/raw ${result.ratios.httpFloorOverRaw}. ` +
      `Target >= ${result.target.ratio}: ${result.target.met ? "met" : "missed"}.`,
  ];
  for (const [backend, profile] of Object.entries(result.serverProfiles ?? {})) {
    lines.push(
      "",
      `Server CPU profile, ${backend}, measured requests of the last run: ${profile.totalMs} ms sampled, ${profile.idleMs} ms idle`,
      "",
      "| self ms | % | area |",
      "| ---: | ---: | --- |",
      ...profile.areas.map((a) => `| ${a.ms} | ${a.percent} | ${a.name} |`),
      "",
      "| self ms | % | function |",
      "| ---: | ---: | --- |",
      ...profile.functions.map((f) => `| ${f.ms} | ${f.percent} | ${f.name} |`),
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const profile = args.includes("full") ? "full" : "quick";
  const profIndex = args.indexOf("--cpu-prof");
  const cpuProfileDir = profIndex >= 0 ? args[profIndex + 1] : undefined;
  const log = (message: string): void => {
    process.stderr.write(`${message}\n`);
  };
  const result = await benchCallbackApi({
    profile,
    log,
    ...(cpuProfileDir === undefined ? {} : { cpuProfileDir }),
  });
  process.stdout.write(`${formatCallbackApiResult(result)}\n`);
}
