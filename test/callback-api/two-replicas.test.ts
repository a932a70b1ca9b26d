// Two server processes on one PostgreSQL: 500 callbacks that fall due together are each POSTed to
// the receiver exactly once, whichever replica claims them.
import { rm } from "node:fs/promises";
import { afterAll, expect, it } from "vitest";
import { createPostgresDatabase } from "./support/databases.ts";
import { startReceiver } from "./support/receiver.ts";
import { PERMISSIVE } from "./support/app.ts";
import {
  startServer,
  stopServer,
  writeConfigDir,
  type ServerProcess,
} from "./support/server-process.ts";
import { waitFor } from "../support/wait.ts";
import { recordFigures } from "../support/figures.ts";

const COUNT = 500;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it(
  `dispatches ${COUNT} due callbacks exactly once across two processes`,
  { timeout: 120_000 },
  async () => {
    const database = await createPostgresDatabase();
    cleanups.push(database.drop);
    // A slow receiver keeps the first replica busy for seconds, so the second one's poll joins in.
    const receiver = await startReceiver(100);
    cleanups.push(receiver.close);
    const configDir = await writeConfigDir({
      ...PERMISSIVE,
      _ors: receiver.url,
      _max_request_by_time_bucket: "10000",
      _max_queued_callbacks_per_service: "10000",
    });
    cleanups.push(() => rm(configDir, { recursive: true, force: true }));
    const args = [
      "--service-name",
      "replicated",
      "--config-dir",
      configDir,
      "--database-url",
      database.url,
    ];
    const servers: ServerProcess[] = await Promise.all([startServer(args), startServer(args)]);
    cleanups.push(async () => {
      for (const server of servers) await stopServer(server);
    });

    // Scheduled a little ahead, so both replicas find all of them due at about the same time.
    const created = Date.now();
    const desired = new Date(created + 8_000).toISOString();
    const ids = new Set<string>();
    const post = async (i: number): Promise<void> => {
      const server = servers[i % 2]!;
      const res = await fetch(`${server.base}/genesys/1/service/callback/replicated`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          _customer_number: `555${String(i).padStart(4, "0")}`,
          _desired_time: desired,
        }),
      });
      expect(res.status).toBe(200);
      ids.add(((await res.json()) as { _id: string })._id);
    };
    for (let i = 0; i < COUNT; i += 25)
      await Promise.all(Array.from({ length: 25 }, (_, j) => post(i + j)));
    expect(ids.size).toBe(COUNT);
    const createdIn = Date.now() - created;

    const dueAt = Date.parse(desired);
    await waitFor(
      () => Promise.resolve(receiver.received.length >= COUNT),
      90_000,
      "all callbacks to be delivered",
    );
    const deliveredIn = Date.now() - Math.max(dueAt, created + createdIn);
    await waitFor(
      async () => {
        const res = await fetch(
          `${servers[0]!.base}/genesys/1/service/callback/replicated?_callback_state=COMPLETED&max=1000`,
        );
        return ((await res.json()) as unknown[]).length === COUNT;
      },
      30_000,
      "all callbacks to be COMPLETED",
    );
    // Anything sent twice would have arrived by now: every claim was already recorded as done.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const deliveredIds = receiver.received.map((r) => r.body["_id"]);
    expect(deliveredIds).toHaveLength(COUNT);
    expect(new Set(deliveredIds)).toEqual(ids);
    const byReplica = new Map<string, number>();
    for (const r of receiver.received) {
      const worker = String(r.headers["x-callback-dispatcher"]);
      byReplica.set(worker, (byReplica.get(worker) ?? 0) + 1);
    }
    expect(byReplica.size).toBe(2);
    recordFigures({
      id: "two-replicas",
      title: "Two Callback API replicas on one PostgreSQL share the due callbacks",
      test: "test/callback-api/two-replicas.test.ts",
      figures: [
        { label: "callbacks", value: COUNT },
        { label: "created in", value: createdIn, unit: "ms" },
        { label: "all delivered", value: deliveredIn, unit: "ms after due" },
        { label: "split between the replicas", value: [...byReplica.values()].join(" / ") },
      ],
    });
  },
);
