// GMS requests carry flat key/value parameters, as JSON or form fields. Everything is kept as a
// string, as GMS stores it; a value that cannot be one (an object, a list, null) is refused.
import { badRequest } from "./errors.ts";

export type Params = Record<string, string>;

export const LIMITS = {
  maxKeys: 200,
  maxKeyLength: 128,
  maxValueLength: 4096,
} as const;

/** `_target` may be a JSON list of targets (GMS multi-target); a JSON body may send it unquoted. */
const JSON_VALUED_KEYS = new Set(["_target"]);

export function toParams(body: unknown): Params {
  if (body === undefined || body === null || body === "") return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object or form fields.");
  }
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length > LIMITS.maxKeys) {
    throw badRequest(
      `The request has ${entries.length} parameters; at most ${LIMITS.maxKeys} are accepted.`,
    );
  }
  const params: Params = {};
  for (const [key, value] of entries) {
    checkKey(key);
    params[key] = toValue(key, value);
  }
  return params;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 32) return true;
  return false;
}

export function checkKey(key: string): void {
  if (key === "" || key.length > LIMITS.maxKeyLength || hasControlCharacter(key)) {
    throw badRequest(
      `Invalid parameter name [${key.slice(0, 64)}]: names have 1 to ${LIMITS.maxKeyLength} printable characters.`,
    );
  }
}

function toValue(key: string, value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
  else if (typeof value === "boolean") text = String(value);
  else if (JSON_VALUED_KEYS.has(key) && typeof value === "object" && value !== null)
    text = JSON.stringify(value);
  else
    throw badRequest(
      `Invalid value for parameter ${key}: expected a string, a number or a boolean.`,
    );
  if (text.length > LIMITS.maxValueLength) {
    throw badRequest(
      `The value of parameter ${key} is longer than ${LIMITS.maxValueLength} characters.`,
    );
  }
  return text;
}

/** Query-string parameters: fastify gives a list for a repeated key, which GMS queries never mean. */
export function queryParams(query: unknown): Params {
  const params: Params = {};
  if (typeof query !== "object" || query === null) return params;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    checkKey(key);
    if (typeof value !== "string")
      throw badRequest(`Query parameter ${key} is given more than once.`);
    if (value.length > LIMITS.maxValueLength) {
      throw badRequest(
        `The value of query parameter ${key} is longer than ${LIMITS.maxValueLength} characters.`,
      );
    }
    params[key] = value;
  }
  return params;
}

export function positiveInt(params: Params, key: string, max: number): number | undefined {
  const value = params[key];
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw badRequest(
      `Invalid value for ${key}: [${value.slice(0, 64)}]; expected an integer from 1 to ${max}.`,
    );
  }
  return Number(value);
}
