// The options table against what the Callback API actually does (src/callback-api/options.ts):
// every option the server reads must be in the table, every option it honours must be a row with
// a reader, and for an empty section and for each option set to each allowed value (and some
// refused ones) the server must come to the value and the warnings the table's readers give. The
// server builds its options from the readers, so this fails when someone gives it a default, an
// allowed value or a legacy name of its own again. Last, the server against the template users
// install (dist/callback-template.yaml, committed): a section filled with the template's
// defaults must mean what an empty one means, and every value the template allows is accepted.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { resolveOptions } from "../callback-api/options.ts";
import { readGmsOptions } from "./gms-option-readers.ts";
import { gmsOptionAliases, gmsOptions, type GmsOption } from "./gms-options.ts";

const rows = gmsOptions as readonly GmsOption[];
const declared = new Set([...rows.map((o) => o.name), ...gmsOptionAliases.keys()]);
const honoured = rows.filter((o) => o.read !== undefined);

/** Read by the server but not an option: the password is a mounted Secret (docs/adr/0022). */
const notOptions = new Set(["password"]);
/** Fields of ServiceOptions that hold no option value. */
const notOptionFields = new Set(["serviceName", "raw", "password", "warnings"]);

interface Declaration {
  readonly name: string;
  readonly default?: string;
  readonly enum?: readonly string[];
}
const installed = (
  parse(readFileSync(new URL("../../dist/callback-template.yaml", import.meta.url), "utf8")) as {
    spec: { options: readonly Declaration[] };
  }
).spec.options;

/** Values to set each option to: every allowed value, and some the server must refuse. */
function samples(option: GmsOption): string[] {
  const allowed = option.enum ?? [];
  switch (option.read) {
    case "boolean":
      return ["true", "false", "TRUE", " false ", "yes", ""];
    case "enum":
      return [...allowed, ...allowed.map((v) => v.toUpperCase()), "maybe", ""];
    case "integer":
      return allowed.length > 0
        ? [...allowed, "7", "05", "-1", ""]
        : ["0", "1", "42", option.default ?? "", "-1", "abc", "1.5", "1234567890", ""];
    case "list":
      return ["", "a", "a, b, a", " , ", allowed.join(","), `${allowed.join(",")},other`];
    case "duration":
      return ["1M", "2w", "12h", "30m", "1d", "1y", " 3d ", "5", "x", ""];
    default:
      return ["", "x", " de "];
  }
}

/** The sections to compare: empty, each option at each sample, each alias alone and beside its name. */
function sections(): { readonly option: string; readonly section: Record<string, string> }[] {
  const cases: { option: string; section: Record<string, string> }[] = [
    { option: "(none)", section: {} },
  ];
  for (const option of honoured) {
    for (const value of samples(option)) {
      cases.push({ option: option.name, section: { [option.name]: value } });
    }
    for (const alias of option.aliases ?? []) {
      cases.push({ option: option.name, section: { [alias]: "7" } });
      cases.push({ option: option.name, section: { [option.name]: "", [alias]: "7" } });
      cases.push({ option: option.name, section: { [option.name]: "9", [alias]: "7" } });
    }
  }
  return cases;
}

describe("the GMS options table and the Callback API's reading of options", () => {
  it("declares every option the server reads (or its alias)", () => {
    const read = new Set<string>();
    const spy = new Proxy<Record<string, string>>(
      {},
      {
        get: (_target, name) => {
          if (typeof name === "string") read.add(name);
          return undefined;
        },
      },
    );
    resolveOptions("svc", spy);
    const undeclared = [...read].filter((name) => !declared.has(name) && !notOptions.has(name));
    expect(read.size).toBeGreaterThan(15);
    expect(undeclared).toEqual([]);
  });

  it("has a field for every row with a reader, and no other option field", () => {
    const fields = Object.keys(resolveOptions("svc", {})).filter((f) => !notOptionFields.has(f));
    expect(fields.sort()).toEqual(honoured.map((o) => o.name).sort());
  });

  it("gives every typed reader a default it accepts", () => {
    for (const option of rows.filter((o) => o.read !== undefined && o.read !== "list")) {
      if (option.read === "string") continue;
      expect(option.default, option.name).toBeDefined();
      expect(readGmsOptions({ [option.name]: option.default ?? "" }).warnings, option.name).toEqual(
        [],
      );
    }
  });

  it("reads every value the way the table's readers do", () => {
    const drifts: string[] = [];
    const cases = sections();
    for (const { option, section } of cases) {
      const server: Readonly<Record<string, unknown>> = resolveOptions("svc", section);
      const table: Readonly<Record<string, unknown>> = readGmsOptions(section).values;
      // The empty section: every option; otherwise the option that is set.
      const names = option === "(none)" ? honoured.map((o) => o.name) : [option];
      for (const name of names) {
        const [want, got] = [JSON.stringify(table[name]), JSON.stringify(server[name])];
        if (want !== got) {
          drifts.push(`${name} with ${JSON.stringify(section)}: table ${want}, server ${got}`);
        }
      }
      const warnings = [readGmsOptions(section).warnings, resolveOptions("svc", section).warnings];
      const [want, got] = warnings.map((w) => JSON.stringify(w));
      if (want !== got) {
        drifts.push(`warnings with ${JSON.stringify(section)}: table ${want}, server ${got}`);
      }
    }
    expect(cases.length).toBeGreaterThan(100);
    expect(drifts).toEqual([]);
  });

  it("agrees with the installed template: its defaults, its allowed values", () => {
    const declarations = installed.filter((d) => honoured.some((o) => o.name === d.name));
    expect(declarations.map((d) => d.name).sort()).toEqual(honoured.map((o) => o.name).sort());
    const drifts: string[] = [];
    const filled = Object.fromEntries(
      declarations.flatMap((d) => (d.default === undefined ? [] : [[d.name, d.default] as const])),
    );
    const [fromTemplate, empty] = [resolveOptions("svc", filled), resolveOptions("svc", {})];
    for (const { name } of declarations) {
      const want = JSON.stringify((empty as Readonly<Record<string, unknown>>)[name]);
      const got = JSON.stringify((fromTemplate as Readonly<Record<string, unknown>>)[name]);
      if (want !== got) drifts.push(`${name}: template default ${got}, server default ${want}`);
    }
    for (const warning of fromTemplate.warnings)
      drifts.push(`template default refused: ${warning}`);
    for (const { name, enum: allowed = [] } of declarations) {
      for (const value of allowed) {
        const { warnings } = resolveOptions("svc", { [name]: value });
        if (warnings.length > 0)
          drifts.push(`${name}=${value} allowed by the template: ${warnings.join("; ")}`);
      }
    }
    expect(Object.keys(filled).length).toBeGreaterThan(10);
    expect(drifts).toEqual([]);
  });
});
