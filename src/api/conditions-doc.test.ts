import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { conditionReasonDocs, conditionTypeDocs } from "./conditions.ts";

const doc = readFileSync(new URL("../../docs/architecture.md", import.meta.url), "utf8");
const status = doc.split("## Status")[1]?.split("\n## ")[0] ?? "";

/** Table rows of the Status section: first cell (a code span) → second cell. */
const rows = new Map(
  [...status.matchAll(/^\|\s*`(\w+)`\s*\|\s*(.*?)\s*\|$/gm)].map((m) => [m[1], m[2]]),
);

describe("docs/architecture.md, Status", () => {
  it.each(Object.entries({ ...conditionTypeDocs, ...conditionReasonDocs }))(
    "documents %s as src/api/conditions.ts does",
    (name, meaning) => {
      expect(rows.get(name)).toBe(meaning);
    },
  );

  it("has no row for a condition or reason the API does not have", () => {
    const known = new Set([...Object.keys(conditionTypeDocs), ...Object.keys(conditionReasonDocs)]);
    expect([...rows.keys()].filter((name) => !known.has(name ?? ""))).toEqual([]);
  });
});
