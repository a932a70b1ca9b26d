import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { callbackApiFlags } from "../callback-api/cli-flags.ts";
import { entryFlags } from "../callback-api/entry/flags.ts";
import { migrateFlags } from "../callback-api/migrate-command.ts";
import { consoleFlags } from "../console/flags.ts";
import type { Flag } from "../runtime/flags.ts";
import { operatorFlags } from "./operator.ts";

const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
const values = parse(
  readFileSync(new URL("../../charts/callback-operator/values.yaml", import.meta.url), "utf8"),
) as Record<string, unknown>;

/** The cells of each flag row (`| \`--name\` | ...`) of one command's section of the doc. */
function flagRows(command: string): Map<string, string[]> {
  const section = doc.split(`## \`callback-operator ${command}\``)[1]?.split("\n## ")[0] ?? "";
  const rows = section
    .split("\n")
    .filter((line) => line.startsWith("| `--"))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replaceAll("\\|", "|")),
    );
  return new Map(rows.map((cells) => [cells[0] ?? "", cells.slice(1)]));
}

/** The row a flag should have: environment, default and help as --help prints them. */
function expectedCells(flag: Flag): string[] {
  const code = (text: string | undefined): string =>
    text === undefined || text === "" ? "—" : `\`${text}\``;
  return [code(flag.env), code(flag.default), flag.help];
}

describe("docs/configuration.md", () => {
  describe.each([
    ["operator", operatorFlags],
    ["callback-api", callbackApiFlags],
    ["callback-api migrate", migrateFlags],
    ["callback-api entry", entryFlags],
    ["console", consoleFlags],
  ] as const)("callback-operator %s", (command, flags) => {
    const rows = flagRows(command);
    const documented = flags.filter((f) => f.name !== "help");

    it.each(documented.map((f) => [f.name, f] as const))(
      "documents --%s from its row",
      (name, flag) => {
        expect(rows.get(`\`--${name}\``)).toEqual(expectedCells(flag));
      },
    );

    it("documents no flag the command does not have", () => {
      expect([...rows.keys()].sort()).toEqual(documented.map((f) => `\`--${f.name}\``).sort());
    });
  });

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
