import { describe, expect, it } from "vitest";
import { z } from "zod";
import { callbackServiceCrd } from "./callback-service.ts";
import { toCrd, toStructuralSchema, type SchemaNode } from "./crd.ts";
import { serviceTemplateCrd } from "./service-template.ts";

/** Every node of a schema with its path. */
function* nodes(node: SchemaNode, path: string): Generator<[string, SchemaNode]> {
  yield [path, node];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (node.items !== undefined) yield* nodes(node.items, `${path}[]`);
  if (node.additionalProperties !== undefined) yield* nodes(node.additionalProperties, `${path}.*`);
}

/** The node at a path of property names. */
function field(node: SchemaNode, ...names: string[]): SchemaNode | undefined {
  let current: SchemaNode | undefined = node;
  for (const name of names) current = current?.properties?.[name];
  return current;
}

const crds = [toCrd(callbackServiceCrd), toCrd(serviceTemplateCrd)];
const schemaOf = (index: number): SchemaNode => {
  const version = crds[index]?.spec.versions[0];
  if (version === undefined) throw new Error("no version");
  return version.schema.openAPIV3Schema;
};

describe("toStructuralSchema", () => {
  it("keeps defaults, bounds, descriptions and CEL rules", () => {
    const schema = toStructuralSchema(
      z
        .object({
          count: z.int().min(0).max(5).default(1).describe("How many."),
          name: z
            .string()
            .max(10)
            .meta({ "x-kubernetes-validations": [{ rule: "self != ''", message: "empty" }] })
            .describe("A name."),
        })
        .describe("Root."),
      "spec",
    );
    expect(schema).toEqual({
      description: "Root.",
      type: "object",
      properties: {
        count: { description: "How many.", type: "integer", default: 1, minimum: 0, maximum: 5 },
        name: {
          description: "A name.",
          type: "string",
          maxLength: 10,
          "x-kubernetes-validations": [{ rule: "self != ''", message: "empty" }],
        },
      },
      // A field with a default is not required: the apiserver fills it in.
      required: ["name"],
    });
  });

  it("drops zod's implicit integer bounds and closed objects", () => {
    const schema = toStructuralSchema(z.object({ n: z.int().describe("n") }).strict(), "spec");
    expect(schema.properties?.["n"]).toEqual({ description: "n", type: "integer" });
    expect(schema).not.toHaveProperty("additionalProperties");
  });

  it.each([
    [
      "an unbounded string",
      z.object({ s: z.string().describe("s") }),
      "a string needs a maximum length",
    ],
    [
      "an unbounded list",
      z.object({ l: z.array(z.string().max(1)).describe("l") }),
      "a list needs maxItems",
    ],
    [
      "a list without a list type",
      z.object({ l: z.array(z.string().max(1)).max(1).describe("l") }),
      "a list needs x-kubernetes-list-type",
    ],
    [
      "an unbounded map",
      z.object({ m: z.record(z.string(), z.string().max(1)).describe("m") }),
      "a map needs maxProperties",
    ],
    ["a field without a description", z.object({ s: z.string().max(1) }), "needs a description"],
    [
      "a union",
      z.object({ u: z.union([z.int(), z.string().max(1)]).describe("u") }),
      '"anyOf" is not allowed',
    ],
  ])("rejects %s", (_, schema, message) => {
    expect(() => toStructuralSchema(schema, "spec")).toThrow(message);
  });
});

describe("the generated CRDs", () => {
  it("name both kinds in one category, with short names and a status subresource", () => {
    expect(crds.map((crd) => crd.metadata.name)).toEqual([
      "callbackservices.callback-operator.io",
      "servicetemplates.callback-operator.io",
    ]);
    expect(crds.map((crd) => crd.spec.names.shortNames)).toEqual([["cbs"], ["svctpl"]]);
    expect(crds.map((crd) => crd.spec.scope)).toEqual(["Namespaced", "Cluster"]);
    for (const crd of crds) {
      expect(crd.spec.names.categories).toEqual(["callback"]);
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
        ["v1alpha1", true, true],
      ]);
      expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
    }
  });

  it("contain nothing a structural schema forbids", () => {
    const text = JSON.stringify(crds);
    for (const key of ["$schema", "anyOf", "oneOf", "allOf", "$ref", "propertyNames", "nullable"]) {
      expect(text).not.toContain(`"${key}"`);
    }
    expect(text).not.toContain('"additionalProperties":false');
  });

  it("bound every string, list and map and describe every field", () => {
    for (const index of [0, 1]) {
      for (const [path, node] of nodes(schemaOf(index), "")) {
        if (path.startsWith(".metadata")) continue;
        if (node.type === "string") expect(node.maxLength ?? node.enum, path).toBeDefined();
        if (node.type === "array") expect(node.maxItems, path).toBeDefined();
        if (node.additionalProperties !== undefined) expect(node.maxProperties, path).toBeDefined();
      }
      for (const [path, node] of nodes(schemaOf(index).properties?.["spec"] ?? {}, "spec")) {
        if (!path.endsWith("[]") && !path.endsWith(".*"))
          expect(node.description, path).toBeTruthy();
      }
    }
  });

  it("carry the schema defaults", () => {
    const spec = (index: number, ...names: string[]): SchemaNode | undefined =>
      field(schemaOf(index), "spec", ...names);
    expect(spec(0, "template")?.default).toBe("callback");
    expect(spec(0, "suspend")?.default).toBe(false);
    expect(spec(0, "api", "replicas")?.default).toBe(1);
    const option = spec(1, "options")?.items;
    expect(option && field(option, "type")?.default).toBe("string");
    expect(option && field(option, "mandatory")?.default).toBe(false);
  });

  it("let server-side apply merge options and scenarios by name and conditions by type", () => {
    for (const list of ["options", "scenarios"]) {
      const node = field(schemaOf(1), "spec", list);
      expect(node?.["x-kubernetes-list-type"]).toBe("map");
      expect(node?.["x-kubernetes-list-map-keys"]).toEqual(["name"]);
    }
    const conditions = field(schemaOf(0), "status", "conditions");
    expect(conditions?.["x-kubernetes-list-map-keys"]).toEqual(["type"]);
  });

  it("give every CEL rule a messageExpression", () => {
    let rules = 0;
    for (const index of [0, 1]) {
      for (const [path, node] of nodes(schemaOf(index), "")) {
        for (const rule of node["x-kubernetes-validations"] ?? []) {
          expect(rule.messageExpression, path).toBeTruthy();
          expect(rule.message, path).toBeTruthy();
          rules += 1;
        }
      }
    }
    expect(rules).toBeGreaterThanOrEqual(20);
  });

  it("print Template, Scenario, Groups, URL, Ready and Age for callback services", () => {
    const columns = crds[0]?.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.filter((c) => c.priority === undefined).map((c) => c.name)).toEqual([
      "Template",
      "Scenario",
      "Groups",
      "URL",
      "Ready",
      "Age",
    ]);
  });
});
