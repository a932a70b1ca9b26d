import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { operatorFlags } from "./operator.ts";

const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
const values = parse(
  readFileSync(new URL("../../charts/callback-operator/values.yaml", import.meta.url), "utf8"),
) as Record<string, unknown>;

describe("docs/configuration.md", () => {
  it.each(operatorFlags.filter((f) => f.name !== "help").map((f) => [f.name, f.env] as const))(
    "documents --%s and %s",
    (name, env) => {
      // Prettier pads the table's cells, so the row is matched with any spacing.
      expect(doc).toMatch(new RegExp(`\\|\\s*\`--${name}\`\\s*\\|\\s*\`${env}\`\\s*\\|`));
    },
  );

  // Rows of the chart-values table: the value's path in the first cell.
  const chartSection = doc.split("## Helm chart values")[1]?.split("\n## ")[0] ?? "";
  const rows = [...chartSection.matchAll(/^\|\s*`([A-Za-z][\w.]*)`\s*\|/gm)].map((m) => m[1]);

  /** Every path of values.yaml down to its leaves (a map's keys, not a list's items). */
  function paths(node: unknown, prefix: string): string[] {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return [prefix];
    const entries = Object.entries(node);
    if (entries.length === 0) return [prefix];
    return entries.flatMap(([key, child]) =>
      paths(child, prefix === "" ? key : `${prefix}.${key}`),
    );
  }
  const leaves = paths(values, "");

  it("documents every chart value (a row for the value or for the map holding it)", () => {
    const undocumented = leaves.filter(
      (leaf) => !rows.some((row) => row === leaf || leaf.startsWith(`${row ?? ""}.`)),
    );
    expect(undocumented).toEqual([]);
  });

  it("has no row for a value the chart does not have", () => {
    const stale = rows.filter(
      (row) => !leaves.some((leaf) => leaf === row || leaf.startsWith(`${row ?? ""}.`)),
    );
    expect(rows.length).toBeGreaterThan(40);
    expect(stale).toEqual([]);
  });
});
