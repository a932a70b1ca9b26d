// Figures a reliability test measured, written where `npm run docs:reliability` finds them, so the
// numbers in docs/reliability.md come from a run and never from someone's typing
// (test/support/reliability-report.ts renders them).
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Figure {
  /** What was measured, as the reader should see it ("takeovers", "apiserver back after"). */
  readonly label: string;
  readonly value: string | number;
  /** "s", "ms", "writes"…; empty when the label says it all. */
  readonly unit?: string;
}

/** One test's figures from one run, as stored in .results/ and docs/reliability-figures.json. */
export interface FigureRecord {
  /** Stable key: the test file's base name, and a suffix when one file measures several things. */
  readonly id: string;
  readonly title: string;
  /** The file whose assertions stand behind the figures. */
  readonly test: string;
  readonly size: RunSize;
  readonly measuredAt: string;
  /** The 1-minute load average when the figures were taken: this is a shared 2-core machine. */
  readonly loadAverage: number;
  readonly figures: readonly Figure[];
}

export type RunSize = "npm test" | "soak";

export const resultsDir = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  ".results",
  "reliability",
);

export const runSize = (): RunSize =>
  process.env["CALLBACK_OPERATOR_SOAK"] === "1" ? "soak" : "npm test";

export const fileSlug = (size: RunSize): string => (size === "soak" ? "soak" : "npm-test");

/** A figure as one line of text: "takeovers 16.0 s". */
export function formatFigure(figure: Figure): string {
  return `${figure.label} ${String(figure.value)}${figure.unit ? ` ${figure.unit}` : ""}`;
}

/**
 * Records the figures of a test that has just passed its assertions (call it after them, so a
 * failing run leaves the last good figures in place) and prints them on one line.
 */
export function recordFigures(
  record: Pick<FigureRecord, "id" | "title" | "test" | "figures">,
): void {
  const size = runSize();
  const full: FigureRecord = {
    ...record,
    size,
    measuredAt: new Date().toISOString(),
    loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  const dir = path.join(resultsDir, fileSlug(size));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${record.id}.json`), `${JSON.stringify(full, null, 2)}\n`);
  console.log(`[${record.id}] ${record.figures.map(formatFigure).join("; ")}`);
}
