// zod → CustomResourceDefinition. z.toJSONSchema gives JSON Schema; a CRD needs a *structural*
// OpenAPI v3 schema: every node typed, no $ref/anyOf/additionalProperties:false/propertyNames,
// no unbounded strings, lists or maps (CEL cost), and defaults the apiserver applies. The
// conversion also enforces the project's rules: every field has a description, every list says
// how server-side apply merges it. Anything it cannot convert is an error at generation time.
import { z } from "zod";
import type { CelRule } from "./cel.ts";
import { apiCategory, apiGroup, apiVersionName } from "./group.ts";

export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "date" | "boolean" | "number";
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

export interface CrdSource {
  readonly names: {
    readonly kind: string;
    readonly listKind: string;
    readonly plural: string;
    readonly singular: string;
    readonly shortNames: readonly string[];
  };
  readonly scope: "Namespaced" | "Cluster";
  readonly description: string;
  readonly spec: z.ZodType;
  /** Absent for a kind without status (no status subresource either). */
  readonly status?: z.ZodType;
  /** Rules on the whole object (they may read metadata.name). */
  readonly rootRules: readonly CelRule[];
  /** A bound on metadata.name, tighter than the apiserver's 253 characters. */
  readonly maxNameLength?: number;
  readonly printerColumns: readonly PrinterColumn[];
}

/** A node of a structural schema (the subset of OpenAPI v3 a CRD allows). */
export interface SchemaNode {
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: CelRule[];
}

/** Keys dropped from zod's output: JSON-Schema-only, or meaningless in a CRD. */
const dropped = new Set(["$schema", "$id", "id", "title", "propertyNames", "examples"]);

/** Keys that make a schema non-structural, or that this converter does not translate. */
const forbidden = new Set([
  "anyOf",
  "oneOf",
  "allOf",
  "not",
  "$ref",
  "$defs",
  "definitions",
  "nullable",
  "const",
  "uniqueItems",
  "patternProperties",
  "exclusiveMinimum",
  "exclusiveMaximum",
]);

/** Output order of keys, so the YAML reads top-down: what, type, constraints, children, rules. */
const keyOrder: readonly (keyof SchemaNode)[] = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "maxProperties",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "x-kubernetes-validations",
];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The structural schema of a zod schema, or an error naming the first path that cannot be one. */
export function toStructuralSchema(schema: z.ZodType, path: string): SchemaNode {
  const json = z.toJSONSchema(schema, {
    io: "input",
    target: "openapi-3.0",
    unrepresentable: "throw",
  }) as JsonObject;
  return convert(json, path);
}

function convert(input: JsonObject, path: string): SchemaNode {
  const node: JsonObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (dropped.has(key)) continue;
    if (forbidden.has(key)) throw new Error(`${path}: "${key}" is not allowed in a CRD schema`);
    if (key === "additionalProperties" && value === false) continue;
    node[key] = value;
  }
  dropSafeIntegerBounds(node);
  if (node["x-kubernetes-preserve-unknown-fields"] === true) {
    // zod renders z.unknown() values as `{}`: untyped, so not structural. The apiserver keeps
    // whatever is there instead.
    delete node["additionalProperties"];
    delete node["properties"];
  }
  if (isObject(node["properties"])) {
    const properties: Record<string, SchemaNode> = {};
    for (const [name, child] of Object.entries(node["properties"])) {
      if (!isObject(child)) throw new Error(`${path}.${name}: not a schema`);
      const converted = convert(child, `${path}.${name}`);
      if (converted.description === undefined || converted.description === "") {
        throw new Error(`${path}.${name}: every field needs a description (.describe())`);
      }
      properties[name] = converted;
    }
    node["properties"] = properties;
  }
  if (isObject(node["items"])) node["items"] = convert(node["items"], `${path}[]`);
  if (isObject(node["additionalProperties"])) {
    node["additionalProperties"] = convert(node["additionalProperties"], `${path}.*`);
  }
  const result = node as SchemaNode;
  checkBounds(result, path);
  return ordered(result, path);
}

/** zod gives every integer the bounds ±(2^53 − 1); keep only bounds someone wrote. */
function dropSafeIntegerBounds(node: JsonObject): void {
  if (node["minimum"] === Number.MIN_SAFE_INTEGER) delete node["minimum"];
  if (node["maximum"] === Number.MAX_SAFE_INTEGER) delete node["maximum"];
}

function checkBounds(node: SchemaNode, path: string): void {
  if (node.type === undefined && node["x-kubernetes-preserve-unknown-fields"] !== true) {
    throw new Error(`${path}: has no type`);
  }
  if (node.type === "string" && node.maxLength === undefined && node.enum === undefined) {
    throw new Error(`${path}: a string needs a maximum length (.max())`);
  }
  if (node.type === "array") {
    if (node.maxItems === undefined) throw new Error(`${path}: a list needs maxItems (.max())`);
    if (node["x-kubernetes-list-type"] === undefined) {
      throw new Error(`${path}: a list needs x-kubernetes-list-type (atomic, set or map)`);
    }
  }
  if (
    node.type === "object" &&
    node.additionalProperties !== undefined &&
    node.maxProperties === undefined
  ) {
    throw new Error(`${path}: a map needs maxProperties (boundedMap())`);
  }
}

function ordered(node: SchemaNode, path: string): SchemaNode {
  const known = new Set<string>(keyOrder);
  const unknown = Object.keys(node).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new Error(`${path}: unexpected schema keys ${unknown.join(", ")}`);
  }
  const result: JsonObject = {};
  for (const key of keyOrder) {
    if (node[key] !== undefined) result[key] = node[key];
  }
  return result;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: SchemaNode };
      subresources?: { status: Record<string, never> };
    }[];
  };
}

/** The CRD of one kind, from its zod spec and status schemas. */
export function toCrd(source: CrdSource): CustomResourceDefinition {
  const { names } = source;
  const root: SchemaNode = {
    description: source.description,
    type: "object",
    properties: {
      apiVersion: {
        description:
          "Versioned schema of this representation of an object; the apiserver converts recognized schemas to the latest internal value.",
        type: "string",
        maxLength: 253,
      },
      kind: {
        description: "REST resource this object represents, in CamelCase.",
        type: "string",
        maxLength: 63,
      },
      // A CRD may only constrain metadata.name and metadata.generateName; a declared name also lets
      // root rules report errors at .metadata.name.
      metadata:
        source.maxNameLength === undefined
          ? { type: "object" }
          : {
              type: "object",
              properties: { name: { type: "string", maxLength: source.maxNameLength } },
            },
      spec: toStructuralSchema(source.spec, "spec"),
      ...(source.status === undefined
        ? {}
        : { status: toStructuralSchema(source.status, "status") }),
    },
    required: ["spec"],
  };
  if (source.rootRules.length > 0) root["x-kubernetes-validations"] = [...source.rootRules];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${names.plural}.${apiGroup}`,
      labels: { "app.kubernetes.io/part-of": "callback-operator" },
    },
    spec: {
      group: apiGroup,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [apiCategory],
      },
      scope: source.scope,
      versions: [
        {
          name: apiVersionName,
          served: true,
          storage: true,
          additionalPrinterColumns: [...source.printerColumns],
          schema: { openAPIV3Schema: root },
          ...(source.status === undefined ? {} : { subresources: { status: {} } }),
        },
      ],
    },
  };
}
