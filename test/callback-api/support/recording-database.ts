// A Database that records the text of every statement it runs, to prove that no user text ever
// becomes SQL text (issue 12, item 6): user keys and values travel as bound parameters only; and
// every round trip to the engine in order, to count what one request costs (ADR 0121).
import type { Database, PreparedStatement, SqlClient } from "../../../src/callback-api/database.ts";

export interface RecordingDatabase {
  readonly db: Database;
  /** Every distinct statement text run so far. */
  readonly statements: Set<string>;
  /**
   * Every round trip so far, in order: each statement's text, and a transaction's BEGIN and COMMIT
   * (or ROLLBACK), which the engine's transaction sends as statements of their own.
   */
  readonly trips: string[];
}

export function recording(inner: Database): RecordingDatabase {
  const statements = new Set<string>();
  const trips: string[] = [];
  const wrap = (client: SqlClient): SqlClient => ({
    query<Row>(statement: string | PreparedStatement, params?: readonly unknown[]) {
      const text = typeof statement === "string" ? statement : statement.text;
      statements.add(text);
      trips.push(text);
      return client.query<Row>(statement, params);
    },
    exec(script: string) {
      statements.add(script);
      trips.push(script);
      return client.exec(script);
    },
  });
  const db: Database = {
    ...wrap(inner),
    kind: inner.kind,
    heavyQuerySlots: inner.heavyQuerySlots,
    async transaction(fn, statementClass) {
      trips.push("BEGIN");
      // The engine sets the class's statement timeout in one more statement (database.ts).
      if (statementClass !== undefined && statementClass !== "request")
        trips.push("SET LOCAL statement_timeout");
      try {
        const value = await inner.transaction((client) => fn(wrap(client)), statementClass);
        trips.push("COMMIT");
        return value;
      } catch (error) {
        trips.push("ROLLBACK");
        throw error;
      }
    },
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return { db, statements, trips };
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
