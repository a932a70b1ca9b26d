// Dispatch by ORS session (`_ors_dispatch=session`, ADR 0103): what GMS sends to Orchestration
// Server to start a callback's SCXML session (gms-reference-2.md §5.1, §5.2), which `_ors` node is
// tried first, and the session id read from the answer.
import type { ServiceOptions } from "./options.ts";
import type { CallbackRow } from "./store.ts";

/** ORS's REST path that starts an SCXML session (ORS "External Interfaces"). */
const START_PATH = "/scxml/session/start";

/**
 * Requests one dispatch sends before it gives up for now: GMS's `ors/max_ors_request_attempts`
 * (default 3, 8.5.112.05), each failed one passing to the next node.
 */
export const ORS_REQUEST_ATTEMPTS = 3;

/** GMS's message when no node took the request (gms-reference-2.md §5.2, Failover). */
export const CANNOT_CONNECT = "ORS request failed: cannot connect to ORS.";

/** Record fields the session learns from us, not from the request: a request value never wins. */
const OWN_KEYS = new Set(["_ors_session_id", "_attempt"]);

/**
 * The SCXML URL a session starts from: the service's `_service`, which must be an http(s) URL.
 * GMS's template value `callback` names its built-in callback application, which only GMS's own
 * ORS deployment knows; here it is a configuration error, reported, never a silent webhook.
 */
export function scxmlSource(options: ServiceOptions): string | Error {
  const src = options._service.trim();
  if (/^https?:\/\/\S+$/i.test(src)) return src;
  return new Error(
    `_ors_dispatch=session needs _service to be the http(s) URL of the callback SCXML application (src); it is [${src.slice(0, 200)}]`,
  );
}

/**
 * The form GMS posts to start the session: `src`, then the parameters that begin with `_` — the
 * service's options (tokens substituted, credentials left out), the request's `_` parameters and
 * the record's fields — and `_data_id`, the key of the stored user data. User data itself is not
 * sent, as in GMS ("anything else is user data, saved in storage"): the SCXML reads it back by
 * `_data_id` (the callback `_id`) through the query API. `payload` is the webhook's payload
 * (dispatcher.ts orsPayload), so both modes send the same `_` values.
 */
export function sessionForm(
  payload: Readonly<Record<string, string>>,
  row: CallbackRow,
  src: string,
): URLSearchParams {
  const form = new URLSearchParams({ src });
  for (const [key, value] of Object.entries(payload)) {
    if (key.startsWith("_") && !OWN_KEYS.has(key)) form.append(key, value);
  }
  // The session starts while the callback waits in the queue: QUEUED is what GMS shows.
  form.set("_callback_state", "QUEUED");
  form.set("_data_id", row.id);
  return form;
}

/** `<ors>/scxml/session/start` for one `_ors` base URL (one that already names the path is kept). */
export function sessionStartUrl(base: string): string {
  const url = new URL(base);
  if (!url.pathname.endsWith(START_PATH))
    url.pathname = `${url.pathname.replace(/\/+$/, "")}${START_PATH}`;
  return url.href;
}

/**
 * The nodes of one dispatch, in the order they are tried, `ORS_REQUEST_ATTEMPTS` requests in all:
 * from the first node (linear) or from the next one in turn (circular, `turn` counting this
 * replica's dispatches), on to the following ones and round again.
 */
export function attemptOrder(
  urls: readonly string[],
  strategy: "circular" | "linear",
  turn: number,
): string[] {
  if (urls.length === 0) return [];
  const first = strategy === "linear" ? 0 : turn % urls.length;
  return Array.from(
    { length: ORS_REQUEST_ATTEMPTS },
    (_, i) => urls[(first + i) % urls.length] ?? "",
  );
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ID_KEYS = ["sessionid", "sessionId", "session_id", "_ors_session_id", "id"];

/**
 * The session id from ORS's answer. Its shape is not documented (gms-reference-2.md §5.1): a JSON
 * object naming it under a usual key, or the id as the whole body. An answer naming none gives "":
 * the session was started all the same, and starting another would run the callback twice.
 */
export function sessionIdFrom(text: string): string {
  const body = text.trim();
  if (SESSION_ID.test(body)) return body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) {
      for (const key of ID_KEYS) {
        const value: unknown = (parsed as Record<string, unknown>)[key];
        if (typeof value === "string" && SESSION_ID.test(value)) return value;
      }
    }
  } catch {
    // Not JSON and not an id: the id is unknown.
  }
  return "";
}
