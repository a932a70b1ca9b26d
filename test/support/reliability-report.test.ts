import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { FigureRecord } from "./figures.ts";
import { readRecords, reliabilityDocPath, renderDoc, renderSection } from "./reliability-report.ts";

describe("docs/reliability.md's measured figures", () => {
  it("are exactly what docs/reliability-figures.json holds (run `npm run docs:reliability`)", async () => {
    const doc = readFileSync(reliabilityDocPath, "utf8");
    const records = readRecords();
    expect(records.length).toBeGreaterThan(0);
    expect(await renderDoc(doc, records)).toBe(doc);
  });

  it("holds a record for every figure the tables point at", () => {
    const doc = readFileSync(reliabilityDocPath, "utf8");
    const pointed = [...doc.matchAll(/\[measured figures\]\(#measured-figures\): `([^`]+)`/g)].map(
      (m) => m[1],
    );
    expect(pointed.length).toBeGreaterThan(5);
    const ids = new Set(readRecords().map((r) => r.id));
    expect(pointed.filter((id) => !ids.has(id ?? ""))).toEqual([]);
  });

  it("labels every figure and names the run's size, date, load and test", () => {
    const record: FigureRecord = {
      id: "leader-election",
      title: "Leader killed and frozen",
      test: "test/reliability/leader-election.test.ts",
      size: "soak",
      measuredAt: "2026-11-29T01:00:00.000Z",
      loadAverage: 7.25,
      figures: [
        { label: "takeovers", value: "15.6–16.9", unit: "s" },
        { label: "audited writes", value: 4098 },
        { label: "a|b", value: 1 },
      ],
    };
    expect(renderSection([record])).toContain(
      "| Leader killed and frozen | soak | 2026-11-29, load 7.3 | takeovers 15.6–16.9 s; audited writes 4098; a\\|b 1 | `test/reliability/leader-election.test.ts` |",
    );
  });
});
