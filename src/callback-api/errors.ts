// One catalogue of the errors the Callback API answers with. GMS clients (its mobile SDKs, its
// functional tests) read `message` and `exception`; the iOS SDK also requires an integer `code` and
// reads `phrase` and, on a refused schedule, `availability`. Names confirmed by GMS sources are
// marked; the others are our choice, recorded in docs/callback-api.md.

const PACKAGE = "com.genesyslab.gsg.services.callback.exceptions";

export const errorCatalogue = {
  /** Malformed input: bad JSON, wrong types, bad dates, missing mandatory keys. */
  CallbackExceptionBadRequest: { status: 400, phrase: "Bad Request" },
  /** Confirmed (GMS phone-number validation tests). */
  CallbackExceptionNumber: { status: 400, phrase: "Bad Request" },
  /** A scheduled time whose bucket is full; carries the availability GMS proposes instead. */
  CallbackExceptionTimeSlotFull: { status: 400, phrase: "Bad Request" },
  /**
   * Outside the office hours of `_business_hours_service`: a scheduled time, or an immediate start
   * with `_enable_reject_out_of_office_hours`. Name and status are ours (GMS's are not documented).
   */
  CallbackExceptionOutOfOfficeHours: { status: 400, phrase: "Bad Request" },
  /** `_business_hours_service` / `_capacity_service` name a section that is missing or invalid. */
  CallbackExceptionServiceConfiguration: { status: 400, phrase: "Bad Request" },
  /** `_enable_in_queue_checking`: the number already has callbacks waiting. */
  CallbackExceptionAlreadyQueued: { status: 400, phrase: "Bad Request" },
  CallbackExceptionUnauthorized: { status: 401, phrase: "Unauthorized" },
  CallbackExceptionForbidden: { status: 403, phrase: "Forbidden" },
  /** Name confirmed (unknown ContactCenterId, 400); we use it with 404 for unknown ids and paths. */
  CallbackExceptionNotFound: { status: 404, phrase: "Not Found" },
  CallbackExceptionMethodNotAllowed: { status: 405, phrase: "Method Not Allowed" },
  CallbackExceptionRequestTimeout: { status: 408, phrase: "Request Timeout" },
  CallbackExceptionPayloadTooLarge: { status: 413, phrase: "Payload Too Large" },
  CallbackExceptionUnsupportedMediaType: { status: 415, phrase: "Unsupported Media Type" },
  CallbackExceptionRequestHeaderFieldsTooLarge: {
    status: 431,
    phrase: "Request Header Fields Too Large",
  },
  CallbackExceptionInternal: { status: 500, phrase: "Internal Server Error" },
  /** Confirmed (queue cap); also used for the per-number throttle. */
  CallbackExceptionServiceUnavailable: { status: 503, phrase: "Service Unavailable" },
  /**
   * Confirmed, with its own package: the phone-number API's "parsing impossible" (GMS phone-number
   * validation functional tests); also its other bad parameters.
   */
  GSGException: { status: 400, phrase: "Bad Request", package: "com.genesyslab.gsg" },
} as const;

export type ErrorName = keyof typeof errorCatalogue;

export type AvailabilityV1 = Record<string, number>;

export class CallbackError extends Error {
  override readonly name = "CallbackError";
  readonly exception: ErrorName;
  readonly availability: AvailabilityV1 | undefined;

  constructor(exception: ErrorName, message: string, availability?: AvailabilityV1) {
    super(message);
    this.exception = exception;
    this.availability = availability;
  }

  get status(): number {
    return errorCatalogue[this.exception].status;
  }
}

export interface GmsErrorBody {
  code: number;
  phrase: string;
  message: string;
  exception: string;
  availability?: AvailabilityV1;
}

export function gmsErrorBody(error: CallbackError): GmsErrorBody {
  const entry: { status: number; phrase: string; package?: string } =
    errorCatalogue[error.exception];
  const body: GmsErrorBody = {
    code: entry.status,
    phrase: entry.phrase,
    message: error.message,
    exception: `${entry.package ?? PACKAGE}.${error.exception}`,
  };
  if (error.availability !== undefined) body.availability = error.availability;
  return body;
}

/** The catalogue entry for a bare HTTP status (errors raised by fastify itself). */
export function errorNameForStatus(status: number): ErrorName {
  for (const [name, entry] of Object.entries(errorCatalogue) as [ErrorName, { status: number }][]) {
    if (entry.status === status && name !== "CallbackExceptionNumber" && name !== "GSGException")
      return name;
  }
  return status >= 500 ? "CallbackExceptionInternal" : "CallbackExceptionBadRequest";
}

export function badRequest(message: string): CallbackError {
  return new CallbackError("CallbackExceptionBadRequest", message);
}

export function notFound(message: string): CallbackError {
  return new CallbackError("CallbackExceptionNotFound", message);
}
