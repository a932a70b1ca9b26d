// The Callback APIs the entry point fans out to: named, each at one base URL. Given by flag for
// local runs and tests, or discovered from the CallbackServices of a cluster (discovery.ts).

export interface Upstream {
  /** How answers and errors name it: the service name, `namespace/name` when discovered. */
  readonly name: string;
  /** `http://host[:port]`, no path: the GMS paths are appended as the client sent them. */
  readonly url: string;
}

/** What the entry point reads: the upstreams known now (the table may change between requests). */
export interface UpstreamTable {
  current(): readonly Upstream[];
}

const UPSTREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/;

/** `name=http://host:port` entries of --upstreams; a one-line problem naming the fix otherwise. */
export function parseUpstreams(entries: readonly string[]): Upstream[] | string {
  const upstreams: Upstream[] = [];
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    const name = equals < 0 ? "" : entry.slice(0, equals);
    const url = equals < 0 ? "" : entry.slice(equals + 1);
    if (!UPSTREAM_NAME.test(name)) {
      return `"${entry.slice(0, 100)}" is not name=url: write each upstream as a service name, "=", and its base URL, e.g. support=http://127.0.0.1:8080`;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `upstream ${name}: "${url.slice(0, 100)}" is not a URL: use http://host:port`;
    }
    if (
      (parsed.protocol !== "http:" && parsed.protocol !== "https:") ||
      parsed.username !== "" ||
      parsed.password !== "" ||
      parsed.pathname !== "/" ||
      parsed.search !== "" ||
      parsed.hash !== ""
    ) {
      return `upstream ${name}: "${url.slice(0, 100)}" must be http(s)://host[:port] with no credentials, path or query`;
    }
    if (upstreams.some((upstream) => upstream.name === name)) {
      return `upstream ${name} is given twice: give each service once`;
    }
    upstreams.push({ name, url: parsed.origin });
  }
  return upstreams;
}

export function staticTable(upstreams: readonly Upstream[]): UpstreamTable {
  return { current: () => upstreams };
}
