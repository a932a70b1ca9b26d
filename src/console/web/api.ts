// The console's JSON API as the page calls it: same-origin cookies, the session's CSRF token on
// every POST, and the API's own `message` carried to the page when a call is refused.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken = "";

export function useCsrfToken(token: string): void {
  csrfToken = token;
}

interface Options {
  readonly method?: "GET" | "POST";
  readonly body?: unknown;
  /** A token other than the session's (the sign-in form's login token). */
  readonly csrf?: string;
  /** Asked by the page's timer, not by the person: the server does not renew the idle time. */
  readonly background?: boolean;
}

async function send(path: string, options: Options): Promise<Response> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["X-CSRF-Token"] = options.csrf ?? csrfToken;
  if (options.background === true) headers["X-Console-Refresh"] = "background";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  const fallback = `The console answered ${response.status} ${response.statusText}.`;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    return new ApiError(
      response.status,
      typeof body.error === "string" ? body.error : "unknown",
      typeof body.message === "string" && body.message !== "" ? body.message : fallback,
    );
  } catch {
    return new ApiError(response.status, "unknown", fallback);
  }
}

export async function callApi<T>(path: string, options: Options = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A file answer (the CSV export), with the name the server gave it. */
export async function download(path: string): Promise<{ blob: Blob; filename: string }> {
  const response = await send(path, {});
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const named = /filename="?([^";]+)"?/.exec(disposition);
  return { blob: await response.blob(), filename: named?.[1] ?? "callbacks.csv" };
}
