// A Database that records the text of every statement it runs, to prove that no user text ever
// becomes SQL text (issue 12, item 6): user keys and values travel as bound parameters only.
import type { Database, SqlClient } from "../../../src/callback-api/database.ts";

export interface RecordingDatabase {
  readonly db: Database;
  /** Every distinct statement text run so far. */
  readonly statements: Set<string>;
}

export function recording(inner: Database): RecordingDatabase {
  const statements = new Set<string>();
  const wrap = (client: SqlClient): SqlClient => ({
    query<Row>(text: string, params?: readonly unknown[]) {
      statements.add(text);
      return client.query<Row>(text, params);
    },
    exec(script: string) {
      statements.add(script);
      return client.exec(script);
    },
  });
  const db: Database = {
    ...wrap(inner),
    kind: inner.kind,
    heavyQuerySlots: inner.heavyQuerySlots,
    transaction: (fn, statementClass) =>
      inner.transaction((client) => fn(wrap(client)), statementClass),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return { db, statements };
}

/** Names of JavaScript built-ins a careless lookup `object[userKey]` would resolve. */
export const BUILTIN_NAMES = [
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
  "__lookupGetter__",
] as const;

/** Text that appears in SQL only if a JavaScript value (a function's source) was interpolated. */
export const LEAK_MARKERS = ["[native code]", "function", "=>", "{", "}", "undefined", "[object"];

/** Statement texts holding any of `needles` (a generated key or value, a leak marker). */
export function statementsHolding(
  statements: Iterable<string>,
  needles: Iterable<string>,
): string[] {
  const list = [...needles];
  return [...statements].filter((text) => list.some((needle) => text.includes(needle)));
}
