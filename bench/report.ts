// Turns one run's results into the tables of docs/benchmarks.md (between the profile's markers)
// and an SVG chart of convergence time against the number of services.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import type { ContenderName } from "./contenders.ts";
import type { BenchResults } from "./run.ts";

const repoRoot = path.join(import.meta.dirname, "..");
const docPath = path.join(repoRoot, "docs", "benchmarks.md");
const colors: Record<ContenderName, string> = {
  "raw-floor": "#6b7280",
  operator: "#2563eb",
  "go-peer": "#16a34a",
};

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const seconds = (value: number) => value.toFixed(1);

/** The markdown of one run: machine, then one table per measurement. */
export function resultTables(results: BenchResults): string {
  const { machine, profile } = results;
  const sizes = profile.sizes;
  const convergenceRows = sizes.map((services) => {
    const of = (contender: ContenderName) =>
      results.convergence.find((c) => c.services === services && c.contender === contender);
    const ratios = results.convergenceRatios.find((r) => r.services === services);
    return [
      services,
      ...(["raw-floor", "go-peer", "operator"] as const).map((c) => {
        const entry = of(c);
        return entry === undefined
          ? "—"
          : `${seconds(entry.medianSeconds)} (${entry.runsSeconds.map(seconds).join(", ")})`;
      }),
      ratios?.operatorOverFloor ?? "—",
      ratios?.operatorOverPeer ?? "—",
    ];
  });
  const controllers = ["operator", "go-peer"] as const;
  const sections = [
    `Run of ${results.startedAt} (${profile.name} profile, ${String(results.durationSeconds)} s): ` +
      `${String(machine.cores)} cores (${machine.cpuModel}), ${String(machine.memoryGiB)} GiB, ` +
      `${machine.os}, Node ${machine.node}, ${machine.go}, ${machine.postgres}; ` +
      `load average ${machine.loadAverage1m.toFixed(2)} at the end.`,
    `**Convergence**: seconds from the first apply until all services are Ready; median (runs).`,
    table(
      ["services", "raw floor", "Go peer", "operator", "operator / floor", "operator / Go peer"],
      convergenceRows,
    ),
    `**Change latency** with ${String(profile.detailSize)} services, ${String(
      results.latency.operator.edits,
    )} edits over the runs, one at a time (ms from the apply).`,
    table(
      ["controller", "ConfigMap p50", "ConfigMap p99", "Ready p50", "Ready p99"],
      controllers.map((c) => [
        c,
        results.latency[c].configMapMs.p50,
        results.latency[c].configMapMs.p99,
        results.latency[c].readyMs.p50,
        results.latency[c].readyMs.p99,
      ]),
    ),
    `**Template fan-out**: one template default used by ${String(
      profile.detailSize,
    )} services changes; seconds until every ConfigMap has it.`,
    table(
      ["controller", "median", "runs"],
      controllers.map((c) => [
        c,
        seconds(results.fanOut[c].medianSeconds),
        results.fanOut[c].runsSeconds.map(seconds).join(", "),
      ]),
    ),
    `**Idle cost** with ${String(profile.detailSize)} services Ready, over ${String(
      results.idle.operator.windowSeconds,
    )} s (a window in each run): requests per minute by method.`,
    table(
      ["controller", "writes / min", "requests / min"],
      controllers.map((c) => [
        c,
        results.idle[c].writesPerMinute,
        JSON.stringify(results.idle[c].requestsPerMinute).replace(/"/g, ""),
      ]),
    ),
    `**Memory** (RSS and heap in use, MiB) by number of services; at 0 an idle controller (caches synced, median of two), at ${String(profile.detailSize)} the median of the runs.`,
    table(
      [
        "services",
        "operator RSS",
        "operator heap",
        "Go peer RSS",
        "Go peer heap",
        "RSS operator / Go peer",
      ],
      results.memory.operator.map((m, i) => {
        const peer = results.memory["go-peer"][i];
        return [
          m.services,
          m.rssMiB,
          m.heapMiB,
          peer?.rssMiB ?? "—",
          peer?.heapMiB ?? "—",
          peer === undefined ? "—" : (m.rssMiB / peer.rssMiB).toFixed(2),
        ];
      }),
    ),
    `Fixed cost and slope (least squares over the rows above): ` +
      (["operator", "go-peer"] as const)
        .map((c) => {
          const fit = results.memoryFit[c];
          return (
            `${c} RSS ${String(fit.rss.fixedMiB)} MiB + ${String(fit.rss.perThousandMiB)} MiB per 1,000 services, ` +
            `heap ${String(fit.heap.fixedMiB)} + ${String(fit.heap.perThousandMiB)}`
          );
        })
        .join("; ") +
      ".",
    `**Callback API** start-callback on loopback: requests per second and latency.`,
    table(
      ["backend", "requests", "concurrency", "pool", "per second", "p50 ms", "p99 ms", "errors"],
      Object.entries(results.callbackApi.backends).map(([name, b]) => [
        name,
        b.requests,
        b.concurrency,
        b.poolSize,
        Math.round(b.throughputPerSecond),
        b.p50Ms,
        b.p99Ms,
        b.errors,
      ]),
    ),
    `Callback API over raw INSERT (throughput): **${String(results.callbackApi.ratios.postgresThroughput)}** ` +
      `on PostgreSQL, ${String(results.callbackApi.ratios.pgliteThroughput)} on PGlite (over its own raw INSERT); over the HTTP floor ` +
      `(the same INSERT behind a bare node:http server) **${String(results.callbackApi.ratios.postgresOverHttpFloor)}**, ` +
      `the HTTP floor itself ${String(results.callbackApi.ratios.httpFloorOverRaw)} of raw INSERT.`,
    `![Convergence time against the number of services](benchmarks-${profile.name}.svg)`,
  ];
  return sections.join("\n\n");
}

/** Convergence median against services, one line per contender, log scale on x. */
export function convergenceSvg(results: BenchResults): string {
  const width = 640;
  const height = 360;
  const pad = { left: 60, right: 130, top: 20, bottom: 50 };
  const sizes = results.profile.sizes;
  const max = Math.max(...results.convergence.map((c) => c.medianSeconds)) * 1.1;
  const logMin = Math.log10(Math.min(...sizes));
  const logMax = Math.log10(Math.max(...sizes));
  const x = (n: number) =>
    pad.left +
    ((Math.log10(n) - logMin) / Math.max(logMax - logMin, 1e-9)) * (width - pad.left - pad.right);
  const y = (s: number) => height - pad.bottom - (s / max) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<line x1="${String(pad.left)}" y1="${String(height - pad.bottom)}" x2="${String(width - pad.right)}" y2="${String(height - pad.bottom)}" stroke="black"/>`,
    `<line x1="${String(pad.left)}" y1="${String(pad.top)}" x2="${String(pad.left)}" y2="${String(height - pad.bottom)}" stroke="black"/>`,
    `<text x="${String((width - pad.right + pad.left) / 2)}" y="${String(height - 10)}" text-anchor="middle">services (log scale)</text>`,
    `<text x="15" y="${String(height / 2)}" transform="rotate(-90 15 ${String(height / 2)})" text-anchor="middle">seconds to all Ready (median)</text>`,
  ];
  for (const n of sizes) {
    parts.push(
      `<text x="${x(n).toFixed(1)}" y="${String(height - pad.bottom + 18)}" text-anchor="middle">${String(n)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const s = (max / 4) * i;
    parts.push(
      `<text x="${String(pad.left - 6)}" y="${(y(s) + 4).toFixed(1)}" text-anchor="end">${s.toFixed(0)}</text>`,
      `<line x1="${String(pad.left)}" y1="${y(s).toFixed(1)}" x2="${String(width - pad.right)}" y2="${y(s).toFixed(1)}" stroke="#e5e7eb"/>`,
    );
  }
  (Object.keys(colors) as ContenderName[]).forEach((contender, index) => {
    const points = sizes
      .map((n) => results.convergence.find((c) => c.services === n && c.contender === contender))
      .filter((c) => c !== undefined)
      .map((c) => `${x(c.services).toFixed(1)},${y(c.medianSeconds).toFixed(1)}`);
    parts.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${colors[contender]}" stroke-width="2"/>`,
      ...points.map((p) => {
        const [cx, cy] = p.split(",");
        return `<circle cx="${cx ?? ""}" cy="${cy ?? ""}" r="3" fill="${colors[contender]}"/>`;
      }),
      `<text x="${String(width - pad.right + 10)}" y="${String(pad.top + 20 * (index + 1))}" fill="${colors[contender]}">${contender}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/**
 * Writes the chart and replaces the profile's section of docs/benchmarks.md (between
 * `<!-- results:<profile>:begin -->` and `<!-- results:<profile>:end -->`); returns a summary.
 */
export async function writeReport(results: BenchResults): Promise<string> {
  const name = results.profile.name;
  await mkdir(path.dirname(docPath), { recursive: true });
  await writeFile(path.join(repoRoot, "docs", `benchmarks-${name}.svg`), convergenceSvg(results));
  const begin = `<!-- results:${name}:begin -->`;
  const end = `<!-- results:${name}:end -->`;
  const doc = await readFile(docPath, "utf8").catch(() => "# Benchmarks\n");
  const section = `${begin}\n\n${resultTables(results)}\n\n${end}`;
  const at = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  const updated =
    at >= 0 && stop > at
      ? `${doc.slice(0, at)}${section}${doc.slice(stop + end.length)}`
      : `${doc.trimEnd()}\n\n${section}\n`;
  // Formatted as `npm test` checks it, so a benchmark run never leaves the suite red.
  const options = (await resolveConfig(docPath)) ?? {};
  await writeFile(docPath, await format(updated, { ...options, filepath: docPath }));
  const ratios = results.convergenceRatios
    .map(
      (r) =>
        `  ${String(r.services)} services: operator / raw floor ${String(r.operatorOverFloor)}, operator / Go peer ${String(r.operatorOverPeer)}`,
    )
    .join("\n");
  return [
    `Convergence (median of ${String(results.profile.runs)} runs):`,
    ratios,
    `Change latency p99 to Ready: operator ${String(results.latency.operator.readyMs.p99)} ms, Go peer ${String(results.latency["go-peer"].readyMs.p99)} ms`,
    `Idle writes per minute: operator ${String(results.idle.operator.writesPerMinute)}, Go peer ${String(results.idle["go-peer"].writesPerMinute)}`,
    `Callback API / raw INSERT throughput: ${String(results.callbackApi.ratios.postgresThroughput)}`,
    `Written: bench/results/${name}.json, docs/benchmarks.md, docs/benchmarks-${name}.svg`,
    "",
  ].join("\n");
}
