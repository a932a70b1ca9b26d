// Every constraint of the chart's values.schema.json, broken once: Helm must refuse the values and
// its message must name the path of the bad value, so a user sees what to fix. The cases are
// derived from the schema itself, so a constraint added later is tested without editing this file.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { chartDir, helmPath, tryHelm } from "../support/helm.ts";

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  required?: string[];
  additionalProperties?: boolean | Schema;
  properties?: Record<string, Schema>;
  items?: Schema;
}

const schema = JSON.parse(
  readFileSync(path.join(chartDir, "values.schema.json"), "utf8"),
) as Schema;

/** A path into the values: property names, or 0 for an array's first item. */
type Segment = string | 0;

interface Case {
  readonly constraint: string;
  /** JSON pointer Helm reports, e.g. /routing/mode. */
  readonly pointer: string;
  readonly values: Record<string, unknown>;
}

const types = (node: Schema): string[] =>
  node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];

/** A value the node accepts (for the items around a bad one). */
function validSample(node: Schema): unknown {
  if (node.enum !== undefined) return node.enum[0];
  const type = types(node)[0];
  if (type === "object") {
    const sample: Record<string, unknown> = {};
    for (const key of node.required ?? []) sample[key] = validSample(node.properties?.[key] ?? {});
    return sample;
  }
  if (type === "array") return [];
  if (type === "integer" || type === "number") return node.minimum ?? 1;
  if (type === "boolean") return true;
  const candidates = ["a", "a/b", "a/b/c", `sha256:${"0".repeat(64)}`, "1"];
  const pattern = node.pattern === undefined ? undefined : new RegExp(node.pattern, "u");
  return candidates.find((c) => pattern?.test(c) ?? true) ?? "a";
}

/** A value of another type than the node allows. */
function wrongType(node: Schema): unknown {
  const allowed = types(node);
  const byType: [string, unknown][] = [
    ["string", "text"],
    ["integer", 7],
    ["boolean", true],
    ["object", { a: 1 }],
    ["array", ["a"]],
  ];
  const wrong = byType.find(
    ([type]) => !allowed.includes(type) && !(type === "integer" && allowed.includes("number")),
  );
  return wrong?.[1];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The values document that puts `bad` at `at`, creating the objects and arrays around it; an
 * array's item starts as a valid sample, so only the bad value is wrong in it.
 */
function valuesWith(root: Schema, at: readonly Segment[], bad: unknown): Record<string, unknown> {
  const build = (node: Schema, rest: readonly Segment[], base: unknown): unknown => {
    const [head, ...tail] = rest;
    if (head === undefined) return bad;
    if (head === 0) {
      const item = node.items ?? {};
      return [build(item, tail, validSample(item))];
    }
    const child =
      node.properties?.[head] ??
      (typeof node.additionalProperties === "object" ? node.additionalProperties : {});
    return { ...(isRecord(base) ? base : {}), [head]: build(child, tail, undefined) };
  };
  const values = build(root, at, undefined);
  return isRecord(values) ? values : {};
}

const pointer = (at: readonly Segment[]): string =>
  at
    .map(String)
    .map((s) => `/${s}`)
    .join("");

function cases(root: Schema): Case[] {
  const found: Case[] = [];
  const add = (constraint: string, at: Segment[], bad: unknown, report: Segment[] = at): void => {
    found.push({ constraint, pointer: pointer(report), values: valuesWith(root, at, bad) });
  };
  const visit = (node: Schema, at: Segment[]): void => {
    const wrong = wrongType(node);
    if (node.type !== undefined && wrong !== undefined && at.length > 0) add("type", at, wrong);
    if (node.enum !== undefined) add("enum", at, "not-one-of-the-choices");
    if (node.minimum !== undefined) add("minimum", at, node.minimum - 1);
    if (node.maximum !== undefined) add("maximum", at, node.maximum + 1);
    if (node.minLength !== undefined) add("minLength", at, "");
    if (node.maxLength !== undefined) add("maxLength", at, "a".repeat(node.maxLength + 1));
    if (node.pattern !== undefined) add("pattern", at, "Not A Valid Value!");
    if (node.additionalProperties === false) {
      found.push({
        constraint: "additionalProperties",
        pointer: pointer(at),
        values: at.length === 0 ? { notAValue: 1 } : valuesWith(root, [...at, "notAValue"], 1),
      });
    }
    for (const key of node.required ?? []) {
      // An item without the key: Helm's null would only delete a default, and items have none.
      const sample = validSample(node);
      const item = Object.fromEntries(
        Object.entries(isRecord(sample) ? sample : {}).filter(([name]) => name !== key),
      );
      found.push({
        constraint: `required ${key}`,
        pointer: pointer(at),
        values: valuesWith(root, at, item),
      });
    }
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, [...at, key]);
    if (typeof node.additionalProperties === "object")
      visit(node.additionalProperties, [...at, "anyKey"]);
    if (node.items !== undefined) visit(node.items, [...at, 0]);
  };
  visit(root, []);
  return found;
}

const all = cases(schema);
const dir = mkdtempSync(path.join(os.tmpdir(), "chart-schema-"));

// Helm is built on first use (minutes, cold): not inside one case's time limit.
beforeAll(async () => {
  await helmPath();
});

describe("values.schema.json: every constraint refused with its path named", () => {
  it("derives a case for each kind of constraint the schema uses", () => {
    const kinds = new Set(all.map((c) => c.constraint.split(" ")[0]));
    for (const kind of ["type", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength"])
      expect(kinds).toContain(kind);
    expect(kinds).toContain("additionalProperties");
    expect(kinds).toContain("required");
    expect(all.length).toBeGreaterThan(40);
  });

  it.each(all.map((c, i) => [`${c.pointer || "/"} ${c.constraint}`, i] as const))(
    "%s",
    async (_name, index) => {
      const bad = all[index];
      if (bad === undefined) throw new Error("no case");
      const file = path.join(dir, `values-${String(index)}.yaml`);
      writeFileSync(file, stringify(bad.values));
      const result = await tryHelm(["template", "x", chartDir, "-f", file]);
      expect(result.status, `values accepted: ${stringify(bad.values)}`).not.toBe(0);
      // Helm 4 (santhosh-tekuri/jsonschema): "- at '/routing/mode': value must be one of ..."
      expect(result.stderr).toContain(`at '${bad.pointer}'`);
    },
  );
});
