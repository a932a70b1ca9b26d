// How long the server waits for slow or idle clients. The defaults live here, beside the server
// that applies them (app.ts), not in the flag parser that lets an operator change them.

/** Server-side limits on slow or idle clients, in ms (`--request-timeout` and its siblings). */
export interface HttpTimeouts {
  /** The whole request, headers and body, must have arrived within this; else 408. */
  readonly requestMs: number;
  /** The headers must have arrived within this from the first byte (or the connection); else 408. */
  readonly headersMs: number;
  /** A socket with no traffic either way for this long is closed. */
  readonly connectionMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  requestMs: 30_000,
  headersMs: 10_000,
  connectionMs: 30_000,
  // Longer than the 60 s idle timeout of common load balancers, so that they close first.
  keepAliveMs: 65_000,
};

/** The Node server options both HTTP servers of this image take from the limits above. */
export function serverLimits(
  overrides: Partial<HttpTimeouts> | undefined,
  maxHeaderSize: number,
): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: {
    requestTimeout: number;
    headersTimeout: number;
    connectionsCheckingInterval: number;
    maxHeaderSize: number;
  };
} {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...overrides };
  const headersMs = Math.min(timeouts.headersMs, timeouts.requestMs);
  return {
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: headersMs,
      // How often Node checks the two timeouts above; its default (30 s) would let a slow client
      // hold its connection up to 30 s past them.
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.round(headersMs / 4))),
      maxHeaderSize,
    },
  };
}
