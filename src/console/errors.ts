// The JSON API's errors: `{ "error": "<code>", "message": "<sentence naming the field and the fix>" }`.

export type ErrorCode =
  | "unauthenticated"
  | "invalid_credentials"
  | "forbidden"
  | "csrf"
  | "not_found"
  | "invalid"
  | "conflict"
  | "too_many_attempts"
  | "upstream";

export class ConsoleError extends Error {
  override readonly name = "ConsoleError";
  readonly status: number;
  readonly code: ErrorCode;

  constructor(status: number, code: ErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const invalid = (message: string): ConsoleError => new ConsoleError(400, "invalid", message);
export const forbidden = (message: string): ConsoleError =>
  new ConsoleError(403, "forbidden", message);
export const notFound = (message: string): ConsoleError =>
  new ConsoleError(404, "not_found", message);
