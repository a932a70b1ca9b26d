// The options of one service as the Callback API uses them: the raw option files (the mounted
// section) and every option the server honours, typed by the GMS options table
// (src/api/gms-options.ts, readGmsOptions). Defaults, allowed values and legacy names live in that
// table only; a value that does not parse falls back to its default and is reported, so a typo
// never stops the API. Durations read as GMS durations (`_reject_future_desired_time`) are in ms;
// integer options keep the unit GMS documents (seconds, minutes), and the rule converts.
import { readGmsOptions, type GmsOptionValues } from "../api/gms-option-readers.ts";
import type { RawOptions } from "./config-dir.ts";

export type ServiceOptions = GmsOptionValues & {
  readonly serviceName: string;
  readonly raw: RawOptions;
  /** Not an option: the mounted Secret (spec.api.passwordSecretRef), beside the option files. */
  readonly password: string | undefined;
  /** Problems found while reading the section, for the log. */
  readonly warnings: readonly string[];
};

export function resolveOptions(serviceName: string, raw: RawOptions): ServiceOptions {
  const { values, warnings } = readGmsOptions(raw);
  return { ...values, serviceName, raw, password: raw["password"], warnings };
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
