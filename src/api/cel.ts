// CEL validation rules (`x-kubernetes-validations`) attached to zod schemas, so the rules live next
// to the fields they guard and reach the CRD through the same zod → JSON schema conversion.
import type { z } from "zod";

/** One `x-kubernetes-validations` entry. `message` is the fallback if `messageExpression` fails. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly messageExpression: string;
  readonly reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired";
  /** Where the error is reported, relative to the node the rule is on, e.g. `.metadata.name`. */
  readonly fieldPath?: string;
}

/** Attaches CEL rules to a schema; the CRD generator copies them into the structural schema. */
export function withCel<T extends z.ZodType>(schema: T, rules: readonly CelRule[]): T {
  return schema.meta({ "x-kubernetes-validations": rules });
}

/** A CEL string literal (single-quoted, backslash escapes) holding `value`. */
export function celString(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * CEL that builds the same text as `format`, with CEL string expressions in place of its
 * arguments. Messages are written once, as TypeScript functions, and the CEL `messageExpression`
 * is derived from them, so the apiserver and the operator word a problem identically.
 */
export function celMessage(
  format: (...args: string[]) => string,
  ...expressions: readonly string[]
): string {
  const text = format(...expressions.map((_, i) => `${marker}${i}${marker}`));
  const pieces = text.split(markerSplit).map((piece, i) => {
    if (i % 2 === 0) return piece === "" ? undefined : celString(piece);
    const expression = expressions[Number(piece)];
    if (expression === undefined) throw new Error(`celMessage: no expression ${piece}`);
    return `(${expression})`;
  });
  const parts = pieces.filter((piece) => piece !== undefined);
  return parts.length === 0 ? "''" : parts.join(" + ");
}

/** A private-use character that no message contains. */
const marker = "\uE000";
const markerSplit = new RegExp(`${marker}(\\d+)${marker}`);
