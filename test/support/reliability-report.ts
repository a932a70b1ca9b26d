// `npm run docs:reliability`: folds the figures the reliability tests wrote into .results/ into
// docs/reliability-figures.json (kept in the repository: the last figures of each test and size)
// and renders them into docs/reliability.md between its markers. A unit test fails when the doc's
// section and the JSON disagree, so a figure in the doc is always one a run wrote.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { format, resolveConfig } from "prettier";
import { fileSlug, formatFigure, resultsDir, type FigureRecord, type RunSize } from "./figures.ts";

const repoRoot = path.join(path.dirname(resultsDir), "..");
export const figuresPath = path.join(repoRoot, "docs", "reliability-figures.json");
export const reliabilityDocPath = path.join(repoRoot, "docs", "reliability.md");
const begin = "<!-- figures:begin -->";
const end = "<!-- figures:end -->";
const sizes: readonly RunSize[] = ["npm test", "soak"];

export function readRecords(file = figuresPath): FigureRecord[] {
  return JSON.parse(readFileSync(file, "utf8")) as FigureRecord[];
}

/** The kept records with every fresh one from .results/ in place of its id and size. */
function merge(kept: readonly FigureRecord[]): FigureRecord[] {
  const byKey = new Map(kept.map((r) => [`${r.id}\u0000${r.size}`, r]));
  for (const size of sizes) {
    const dir = path.join(resultsDir, fileSlug(size));
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      const record = JSON.parse(readFileSync(path.join(dir, name), "utf8")) as FigureRecord;
      byKey.set(`${record.id}\u0000${record.size}`, record);
    }
  }
  return [...byKey.values()].sort(
    (a, b) => a.id.localeCompare(b.id) || sizes.indexOf(a.size) - sizes.indexOf(b.size),
  );
}

const cell = (text: string): string => text.replaceAll("|", "\\|");

/** The generated section: one row per test and size, each figure with its label. */
export function renderSection(records: readonly FigureRecord[]): string {
  const rows = records.map(
    (r) =>
      `| ${cell(r.title)} | ${r.size} | ${r.measuredAt.slice(0, 10)}, load ${r.loadAverage.toFixed(1)} | ${cell(r.figures.map(formatFigure).join("; "))} | \`${r.test}\` |`,
  );
  return [
    begin,
    "",
    "| measurement | size | run (1-min load average) | figures | proven by |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    end,
  ].join("\n");
}

/** docs/reliability.md with its generated section replaced, formatted as `npm test` checks it. */
export async function renderDoc(doc: string, records: readonly FigureRecord[]): Promise<string> {
  const at = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  if (at < 0 || stop < at)
    throw new Error(`${reliabilityDocPath}: markers ${begin} … ${end} missing`);
  const updated = `${doc.slice(0, at)}${renderSection(records)}${doc.slice(stop + end.length)}`;
  const options = (await resolveConfig(reliabilityDocPath)) ?? {};
  return format(updated, { ...options, filepath: reliabilityDocPath });
}

async function main(): Promise<void> {
  const records = merge(existsSync(figuresPath) ? readRecords() : []);
  await writeFile(figuresPath, `${JSON.stringify(records, null, 2)}\n`);
  const doc = await readFile(reliabilityDocPath, "utf8");
  await writeFile(reliabilityDocPath, await renderDoc(doc, records));
  console.log(
    `Written: ${String(records.length)} records to docs/reliability-figures.json and docs/reliability.md`,
  );
}

if (import.meta.main) await main();
