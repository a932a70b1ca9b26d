// A callback record as GMS queries return it. Every value is a string: the iOS SDK decodes each
// key it does not know as a String, so a number or null would fail the whole record. Absent values
// are left out rather than sent as null.
import type { CallbackRow } from "./store.ts";
import { formatIsoTime } from "./time.ts";

export interface RecordContext {
  /** `http://host:port` of the request, for the record's own URL. */
  readonly origin: string;
  readonly groupsOf: (serviceName: string) => readonly string[] | undefined;
}

export function callbackUrl(origin: string, serviceName: string, id: string): string {
  return `${origin}/genesys/1/service/callback/${encodeURIComponent(serviceName)}/${encodeURIComponent(id)}`;
}

export function toRecord(row: CallbackRow, context: RecordContext): Record<string, string> {
  const url = callbackUrl(context.origin, row.serviceName, row.id);
  const record: Record<string, string> = {
    ...row.properties,
    _id: row.id,
    _service_name: row.serviceName,
    _callback_state: row.state,
    _desired_time: formatIsoTime(row.desiredTime),
    _expiration_time: formatIsoTime(row.expirationTime),
    // GMS documentation lists `_url`; its Android and iOS SDKs read `url`. Both are sent.
    _url: url,
    url,
  };
  if (row.reason !== null) record["_callback_reason"] = row.reason;
  if (row.customerNumber !== null) record["_customer_number"] = row.customerNumber;
  // GMS's default returned-keys name it; the column wins over a property a request sent.
  if (row.orsSessionId !== null) record["_ors_session_id"] = row.orsSessionId;
  const groups = context.groupsOf(row.serviceName);
  if (groups !== undefined && groups.length > 0) record["_service_groups"] = groups.join(",");
  return record;
}
