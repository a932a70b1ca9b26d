// The `_ors` URLs one callback is POSTed to. The configured list is split on commas first, and a
// `$token$` takes the request's value URL-encoded, so a value cannot add a URL (a comma), change the
// path (`/`, `../`), the host or the query's structure (`?`, `&`, `=`, `#`): each stays inside the
// one component where the service put its token.
import { csv } from "../api/gms-option-readers.ts";
import { substituteTokens, type ServiceOptions } from "./options.ts";
import { own } from "./request-params.ts";
import type { CallbackRow } from "./store.ts";

export interface OrsTargets {
  /** URLs to try, in order. */
  readonly urls: readonly string[];
  /** Configured URLs left out for this callback, with why: retrying would not change them. */
  readonly refused: readonly string[];
}

const isHttp = (url: string): boolean => /^https?:\/\//i.test(url);

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Path segments after dot segments are resolved: `..` in a value would remove one. */
const segments = (url: URL): number => url.pathname.split("/").length;

/**
 * One configured URL with the callback's values in its tokens, or why it cannot be used: the
 * result must have the template's origin and path shape (the template with a neutral value in each
 * token), else a value escaped its component (a token in the host, `..` as a path segment).
 */
function substituteUrl(
  template: string,
  properties: Readonly<Record<string, string>>,
): string | Error {
  const url = substituteTokens(template, properties, encodeURIComponent);
  if (url === template) return url;
  const shape = parse(substituteTokens(template, properties, () => "x"));
  const result = parse(url);
  if (
    shape === undefined ||
    result === undefined ||
    result.origin !== shape.origin ||
    segments(result) !== segments(shape)
  ) {
    return new Error(
      `${template}: a request value substituted into it changes its host or path; tokens may stand in the path or query only, as whole values`,
    );
  }
  return result.href;
}

/**
 * `_ors` for one callback: the request's own when the service lets requests name one
 * (`_overwritable_options` lists `_ors`), else the service's. Never the request's otherwise: any
 * caller could point the server's outgoing POSTs, with the callback's data, at any URL.
 */
export function orsTargets(row: CallbackRow, options: ServiceOptions): OrsTargets {
  const own_ = options._overwritable_options.includes("_ors")
    ? own(row.properties, "_ors")
    : undefined;
  if (own_ !== undefined) return { urls: csv(own_).filter(isHttp), refused: [] };
  const urls: string[] = [];
  const refused: string[] = [];
  for (const template of csv(own(options.raw, "_ors"))) {
    if (!isHttp(template)) continue;
    const url = substituteUrl(template, row.properties);
    if (url instanceof Error) refused.push(url.message);
    else urls.push(url);
  }
  return { urls, refused };
}
