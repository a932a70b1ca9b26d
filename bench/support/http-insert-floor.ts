// The HTTP floor of the Callback API benchmark: what any HTTP service that stores a start-callback
// must at least do, in a process of its own like the Callback API server. It reads the JSON body,
// runs the one INSERT of the raw baseline over a pool of the same size and answers the id as JSON;
// no validation, rules, logging or metrics. The Callback API over this floor is what its rules and
// framework cost; the raw INSERT over it is what HTTP on loopback costs (issue 19).
//
//   node bench/support/http-insert-floor.ts <database url> <pool size>
// prints `{"port":N}` once it listens on 127.0.0.1.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { postgresDatabase, type Database } from "../../src/callback-api/database.ts";
import { migrate } from "../../src/callback-api/migrations.ts";

/** The statement `StoreQueries.insert` runs for a start-callback, with the same column values. */
export const INSERT_SQL = `INSERT INTO callbacks (id, service_name, state, customer_number, desired_time, scheduled,
   expiration_time, created_at, updated_at, properties)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING *`;

/**
 * The callbacks table as the floors write it: migrated, without the triggers that keep the counts
 * (migration 6, ADR 0137). The floor is a bare INSERT of the row; the Callback API pays for the
 * counts it reads, so they are part of what it is measured against, not of the floor.
 */
export async function bareCallbacksTable(db: Database): Promise<void> {
  await migrate(db);
  await db.exec("ALTER TABLE callbacks DISABLE TRIGGER USER");
}

const TTL_MS = 86_400_000; // the `_ttl` default

/** The parameters of `INSERT_SQL` for a scheduled start, as the Callback API would store it. */
export function insertParams(
  service: string,
  customerNumber: string,
  desiredTime: number,
  order: string,
): unknown[] {
  return [
    randomUUID().replaceAll("-", "").toUpperCase(),
    service,
    "SCHEDULED",
    customerNumber,
    new Date(desiredTime),
    true,
    new Date(desiredTime + TTL_MS),
    new Date(),
    JSON.stringify({ order }),
  ];
}

interface StartBody {
  readonly _customer_number: string;
  readonly _desired_time: string;
  readonly order: string;
}

async function main(url: string, poolSize: number): Promise<void> {
  const db = postgresDatabase(url, poolSize);
  await bareCallbacksTable(db);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = (status: number, body: unknown): void => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as StartBody;
      const params = insertParams(
        request.url?.split("/").at(-1) ?? "",
        body._customer_number,
        Date.parse(body._desired_time),
        body.order,
      );
      db.query(INSERT_SQL, params).then(
        () => {
          answer(200, { _id: params[0] });
        },
        (error: unknown) => {
          answer(500, { message: String(error) });
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ port })}\n`);
  });
  process.once("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    void db.close();
  });
}

if (import.meta.main) {
  const [url, pool] = process.argv.slice(2);
  if (url === undefined || pool === undefined) {
    throw new Error("usage: http-insert-floor.ts <database url> <pool size>");
  }
  await main(url, Number(pool));
}
