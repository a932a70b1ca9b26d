// GMS requests carry flat key/value parameters, as JSON or form fields. Everything is kept as a
// string, as GMS stores it; a value that cannot be one (an object, a list, null) is refused.
//
// Parameters live in null-prototype objects: a key such as `__proto__`, `constructor` or
// `toString` is then an ordinary key, never one of Object.prototype's members.
import { badRequest } from "./errors.ts";

export type Params = Record<string, string>;

export const LIMITS = {
  maxKeys: 200,
  maxKeyLength: 128,
  maxValueLength: 4096,
  /** Properties one record may hold, after any number of PUTs have merged theirs in. */
  maxRecordKeys: 200,
  /** The record's properties as JSON (UTF-8 bytes), after any number of PUTs. */
  maxRecordBytes: 64 * 1024,
  /** Property filters in one query (each is a comparison over every candidate row). */
  maxFilters: 20,
  /** Nesting of a JSON-valued parameter (`_target`): a list of target objects is depth 2. */
  maxJsonDepth: 8,
} as const;

/** An empty parameter map whose keys can be any text, `__proto__` included. */
export function emptyParams(): Params {
  return Object.create(null) as Params;
}

/** The value of `key` if `params` holds it as its own key (never an inherited member). */
export function own(params: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(params, key) ? params[key] : undefined;
}

/** `_target` may be a JSON list of targets (GMS multi-target); a JSON body may send it unquoted. */
const JSON_VALUED_KEYS = new Set(["_target"]);

export function toParams(body: unknown): Params {
  if (body === undefined || body === null || body === "") return emptyParams();
  if (typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object or form fields.");
  }
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length > LIMITS.maxKeys) {
    throw badRequest(
      `The request has ${entries.length} parameters; at most ${LIMITS.maxKeys} are accepted.`,
    );
  }
  const params = emptyParams();
  for (const [key, value] of entries) {
    checkKey(key);
    params[key] = toValue(key, value);
  }
  return params;
}

/**
 * Control characters a value may not hold: C0 except tab, line feed and carriage return (free text
 * such as a note may span lines), DEL and C1. NUL in particular cannot be stored by PostgreSQL.
 */
// eslint-disable-next-line no-control-regex -- control characters are what these refuse
const VALUE_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/** A name holds no control character at all. */
// eslint-disable-next-line no-control-regex -- as above
const KEY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Names a parameter for a message: its first 64 characters, control characters escaped. */
export function quoteName(name: string): string {
  return JSON.stringify(name.slice(0, 64).toWellFormed());
}

export function checkKey(key: string): void {
  if (
    key === "" ||
    key.length > LIMITS.maxKeyLength ||
    KEY_CONTROL.test(key) ||
    !key.isWellFormed()
  ) {
    throw badRequest(
      `Invalid parameter name ${quoteName(key)}: names have 1 to ${LIMITS.maxKeyLength} characters, no control characters, and are valid Unicode.`,
    );
  }
}

/** Refuses text PostgreSQL cannot store or a log line could be forged with (400 naming `name`). */
export function checkText(name: string, value: string): void {
  if (VALUE_CONTROL.test(value)) {
    throw badRequest(
      `Invalid value for parameter ${quoteName(name)}: it holds a control character (only tab, CR and LF are accepted).`,
    );
  }
  if (!value.isWellFormed()) {
    throw badRequest(
      `Invalid value for parameter ${quoteName(name)}: it is not valid Unicode (a lone surrogate).`,
    );
  }
}

const isContainer = (item: unknown): item is object => typeof item === "object" && item !== null;

/** How deeply `value` nests lists and objects (a scalar is 0), counted without recursion. */
export function jsonDepth(value: unknown, stopAt: number): number {
  let depth = 0;
  let level = [value].filter(isContainer);
  while (level.length > 0 && depth <= stopAt) {
    depth++;
    level = level.flatMap((item): unknown[] => Object.values(item)).filter(isContainer);
  }
  return depth;
}

function toValue(key: string, value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
  else if (typeof value === "boolean") text = String(value);
  else if (JSON_VALUED_KEYS.has(key) && typeof value === "object" && value !== null) {
    if (jsonDepth(value, LIMITS.maxJsonDepth) > LIMITS.maxJsonDepth) {
      throw badRequest(
        `The value of parameter ${key} nests deeper than ${LIMITS.maxJsonDepth} levels of lists and objects.`,
      );
    }
    text = JSON.stringify(value);
  } else
    throw badRequest(
      `Invalid value for parameter ${quoteName(key)}: expected a string, a number or a boolean.`,
    );
  if (text.length > LIMITS.maxValueLength) {
    throw badRequest(
      `The value of parameter ${quoteName(key)} is longer than ${LIMITS.maxValueLength} characters.`,
    );
  }
  checkText(key, text);
  return text;
}

/** Query-string parameters: fastify gives a list for a repeated key, which GMS queries never mean. */
export function queryParams(query: unknown): Params {
  const params = emptyParams();
  if (typeof query !== "object" || query === null) return params;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    checkKey(key);
    if (typeof value !== "string")
      throw badRequest(`Query parameter ${quoteName(key)} is given more than once.`);
    if (value.length > LIMITS.maxValueLength) {
      throw badRequest(
        `The value of query parameter ${quoteName(key)} is longer than ${LIMITS.maxValueLength} characters.`,
      );
    }
    checkText(key, value);
    params[key] = value;
  }
  return params;
}

/** A path segment (`{id}`, `{name}`): the same hygiene as a value, at most 128 characters. */
export function checkPathParam(name: string, value: string): void {
  if (value.length > LIMITS.maxKeyLength) {
    throw badRequest(
      `Invalid ${name}: at most ${LIMITS.maxKeyLength} characters, got ${value.length}.`,
    );
  }
  checkText(name, value);
}

export function positiveInt(params: Params, key: string, max: number): number | undefined {
  const value = own(params, key);
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw badRequest(
      `Invalid value for ${key}: [${value.slice(0, 64)}]; expected an integer from 1 to ${max}.`,
    );
  }
  return Number(value);
}
