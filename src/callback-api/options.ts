// The typed view of one service section: the raw option files with GMS defaults applied. A value
// that does not parse falls back to its default and is reported, so a typo never stops the API.
import type { RawOptions } from "./config-dir.ts";
import { parseGmsDuration } from "./time.ts";

export type InQueueChecking = "false" | "true" | "strict";

export interface ServiceOptions {
  readonly serviceName: string;
  readonly raw: RawOptions;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly serviceGroups: readonly string[];
  readonly customerLookupKeys: readonly string[];
  readonly mandatoryLookupKeys: readonly string[];
  /** Empty when the option is configured empty: then number rules cannot run. */
  readonly defaultCountry: string;
  readonly disallowImpossibleNumbers: boolean;
  readonly disallowPremiumNumbers: boolean;
  readonly inQueueChecking: InQueueChecking;
  readonly maxQueuedCallbacks: number;
  readonly rejectFutureMs: number;
  readonly requestTimeBucketMin: number;
  readonly maxRequestByTimeBucket: number;
  readonly executionBufferMs: number;
  readonly ttlMs: number;
  readonly throttleParameters: readonly string[];
  readonly throttleLimit: number;
  readonly overwritable: ReadonlySet<string>;
  /** Problems found while reading the section, for the log. */
  readonly warnings: readonly string[];
}

/** Options a request may override when `_overwritable_options` names them (GMS allows no others). */
export const OVERRIDABLE = new Set(["_ors", "_target"]);

const BUCKET_MINUTES = new Set([5, 10, 15, 20, 30, 60, 120]);

export function csv(value: string | undefined): string[] {
  if (value === undefined) return [];
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return [...new Set(items)];
}

/** Reads raw option values with defaults, collecting a warning for each value it had to ignore. */
class OptionReader {
  readonly warnings: string[] = [];
  readonly #raw: RawOptions;

  constructor(raw: RawOptions) {
    this.#raw = raw;
  }

  text(name: string): string | undefined {
    return this.#raw[name];
  }

  present(name: string): string | undefined {
    const value = this.#raw[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.present(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === "true" || value === "false") return value === "true";
    this.warnings.push(`${name}=${value} is not true or false; using ${String(fallback)}`);
    return fallback;
  }

  int(name: string, fallback: number, allowed?: ReadonlySet<number>): number {
    const value = this.present(name);
    if (value === undefined) return fallback;
    const ok = /^\d{1,9}$/.test(value) && (allowed === undefined || allowed.has(Number(value)));
    if (ok) return Number(value);
    this.warnings.push(`${name}=${value} is not valid; using ${fallback}`);
    return fallback;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.present(name)?.toLowerCase();
    if (value === undefined) return fallback;
    const found = values.find((candidate) => candidate === value);
    if (found !== undefined) return found;
    this.warnings.push(`${name}=${value} is not one of ${values.join(", ")}; using ${fallback}`);
    return fallback;
  }

  duration(name: string, fallback: string): number {
    const value = this.present(name) ?? fallback;
    const ms = parseGmsDuration(value);
    if (ms !== undefined) return ms;
    this.warnings.push(`${name}=${value} is not like 1M, 2w, 1d; using ${fallback}`);
    return parseGmsDuration(fallback) ?? 0;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const items = csv(this.#raw[name]);
    return items.length > 0 ? items : [...fallback];
  }

  /** The first of several names (a current one and a legacy one) that is set. */
  firstSet(...names: string[]): string {
    return names.find((name) => this.present(name) !== undefined) ?? names[0] ?? "";
  }
}

export function resolveOptions(serviceName: string, raw: RawOptions): ServiceOptions {
  const r = new OptionReader(raw);
  return {
    serviceName,
    raw,
    username: r.present("username"),
    password: r.text("password"),
    serviceGroups: r.list("_service_groups", []),
    customerLookupKeys: r.list("_customer_lookup_keys", ["_customer_number"]),
    mandatoryLookupKeys: r.list("_mandatory_customer_lookup_keys", ["_customer_number"]),
    defaultCountry: (r.text("_default_country") ?? "US").trim().toUpperCase(),
    disallowImpossibleNumbers: r.bool("_disallow_impossible_phone_numbers", true),
    disallowPremiumNumbers: r.bool("_disallow_premium_phone_numbers", true),
    inQueueChecking: r.oneOf("_enable_in_queue_checking", ["true", "false", "strict"], "true"),
    maxQueuedCallbacks: r.int(
      r.firstSet("_max_queued_callbacks_per_service", "max_queued_callbacks_per_service"),
      1000,
    ),
    rejectFutureMs: r.duration("_reject_future_desired_time", "1M"),
    requestTimeBucketMin: r.int("_request_time_bucket", 5, BUCKET_MINUTES),
    maxRequestByTimeBucket: r.int("_max_request_by_time_bucket", 100),
    executionBufferMs: r.int("_request_execution_time_buffer", 0) * 1000,
    ttlMs: r.int("_ttl", 86_400) * 1000,
    throttleParameters: r.list("_throttle_request_parameters", ["_customer_number"]),
    throttleLimit: r.int(
      r.firstSet("_throttle_request_parameters_limit", "_throttle_customer_number_limit"),
      6,
    ),
    overwritable: new Set(
      r.list("_overwritable_options", []).filter((name) => OVERRIDABLE.has(name)),
    ),
    warnings: r.warnings,
  };
}

/**
 * The values a service option takes for one request: `$token$` in a configured value is replaced by
 * the request parameter `token` (passed through `encode`, e.g. to confine it to one URL component).
 * Tokens with no matching parameter stay as written.
 */
export function substituteTokens(
  value: string,
  params: Readonly<Record<string, string>>,
  encode: (text: string) => string = (text) => text,
): string {
  return value.replace(/\$([A-Za-z0-9_.-]{1,128})\$/g, (whole, token: string) =>
    Object.hasOwn(params, token) ? encode(params[token] ?? "") : whole,
  );
}
