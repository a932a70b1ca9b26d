// Reads a V8 `.cpuprofile` (from `node --cpu-prof`) into where the time went: self time per
// function and per area (a package, a source file's directory, Node internals, GC, idle).
import { readFile } from "node:fs/promises";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  /** `name (file:line)`, or a V8 pseudo-frame such as `(garbage collector)`. */
  readonly name: string;
  readonly area: string;
  readonly ms: number;
  /** Share of the sampled time, idle included, in percent. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time the process waited for I/O: `(idle)` samples. */
  readonly idleMs: number;
  readonly functions: readonly SelfTime[];
  readonly areas: readonly SelfTime[];
}

/** node_modules/<package> (scoped too), src/<dir>, node:<module>, or the pseudo-frame itself. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?([^/]+).*$/, "node:$2");
  const source = /\/((?:src|bench|test)\/[^/]+)\//.exec(url);
  return source?.[1] ?? url;
}

function label(frame: CallFrame): string {
  if (frame.url === "") return frame.functionName === "" ? "(anonymous)" : frame.functionName;
  const file = frame.url.replace(/^.*\/(node_modules|src)\//, "$1/").replace(/^file:\/\//, "");
  return `${frame.functionName === "" ? "(anonymous)" : frame.functionName} (${file}:${frame.lineNumber + 1})`;
}

function top(
  totals: Map<string, { area: string; ms: number }>,
  totalMs: number,
  limit: number,
): SelfTime[] {
  return [...totals.entries()]
    .map(([name, { area, ms }]) => ({
      name,
      area,
      ms: Math.round(ms),
      percent: Math.round((ms / totalMs) * 1000) / 10,
    }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

/** A span of the monotonic clock in µs (`process.hrtime.bigint() / 1000n`, the clock V8 stamps samples with). */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/**
 * Self time from the sample stream (each sample holds the time delta to the previous one), counting
 * only samples inside `window` when given, so start-up and shutdown do not blur the picture.
 */
export async function summarizeCpuProfile(
  path: string,
  window?: ProfileWindow,
  limit = 25,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, { area: string; ms: number }>();
  const areas = new Map<string, { area: string; ms: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalMs = 0;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    // A delta is the time since the previous sample; a sample stands for the time until the next.
    at += deltas[i] ?? 0;
    const node = byId.get(samples[i] ?? -1);
    const ms = (deltas[i + 1] ?? 0) / 1000;
    if (node === undefined || ms <= 0) continue;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
    totalMs += ms;
    const area = areaOf(node.callFrame);
    const name = label(node.callFrame);
    const fn = functions.get(name) ?? { area, ms: 0 };
    fn.ms += ms;
    functions.set(name, fn);
    const byArea = areas.get(area) ?? { area, ms: 0 };
    byArea.ms += ms;
    areas.set(area, byArea);
  }
  return {
    totalMs: Math.round(totalMs),
    idleMs: Math.round(areas.get("(idle)")?.ms ?? 0),
    functions: top(functions, totalMs, limit),
    areas: top(areas, totalMs, limit),
  };
}
