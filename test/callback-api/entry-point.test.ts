// The entry point (`callback-api entry`, docs/adr/0106) in front of three real Callback API
// processes: A and B with credentials of their own, C open. On PostgreSQL the three share one
// database, as services of one cluster may; on PGlite each keeps its own. GMS clients call these
// paths without a service name (gms-reference.md §5; gms-reference-2.md §4.3, §4.4, §7.2, §7.3).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERMISSIVE } from "./support/app.ts";
import { createPostgresDatabase } from "./support/databases.ts";
import {
  startEntry,
  startServer,
  stopServer,
  writeConfigDir,
  type EntryProcess,
  type ServerProcess,
} from "./support/server-process.ts";

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const ADMIN = basic("admin", "admin-secret");
const AUTH = {
  a: basic("user-a", "secret-a"),
  b: basic("user-b", "secret-b"),
  c: undefined,
} as const;
type Name = keyof typeof AUTH;
const NAMES: readonly Name[] = ["a", "b", "c"];

interface Fixture {
  readonly servers: Record<Name, ServerProcess>;
  readonly entry: EntryProcess;
  /** An entry point over A and B only: services that all have credentials. */
  readonly lockedEntry: EntryProcess;
  readonly ids: Record<Name, string>;
  readonly customer: string;
}

async function call(
  base: string,
  path: string,
  init: { method?: string; auth?: string | undefined; body?: unknown } = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const headers: Record<string, string> = {};
  if (init.auth !== undefined) headers["authorization"] = init.auth;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or empty: kept as text.
  }
  return { status: response.status, body, text };
}

const idsOf = (body: unknown): string[] =>
  (body as { _id: string }[]).map((record) => record._id).sort();

describe.each(["postgres", "pglite"] as const)(
  "entry point over three services on %s",
  (engine) => {
    const cleanups: (() => Promise<void>)[] = [];
    let fixture: Fixture;

    // Three PGlite servers start at once on a busy machine: a minute is not always enough.
    beforeAll(async () => {
      const dir = await mkdtemp(join(tmpdir(), "cbapi-entry-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const passwordFile = join(dir, "admin-password");
      await writeFile(passwordFile, "admin-secret\n");
      const adminFlags = ["--admin-username", "admin", "--admin-password-file", passwordFile];
      let storage: (name: Name) => string[];
      if (engine === "postgres") {
        const database = await createPostgresDatabase();
        cleanups.push(database.drop);
        storage = () => ["--database-url", database.url];
      } else {
        storage = (name) => ["--data-dir", join(dir, `data-${name}`)];
      }
      const credentials: Record<Name, Record<string, string>> = {
        a: { username: "user-a", password: "secret-a", _business_hours_service: "hours-a" },
        b: { username: "user-b", password: "secret-b" },
        c: {},
      };
      const start = async (name: Name): Promise<ServerProcess> => {
        const configDir = await writeConfigDir({ ...PERMISSIVE, ...credentials[name] });
        cleanups.push(() => rm(configDir, { recursive: true, force: true }));
        if (name === "a") {
          // The office-hours section A names, mounted as the operator mounts it: open all day.
          const hours = join(configDir, "services", "hours-a");
          await mkdir(hours, { recursive: true });
          const section = {
            _service: "office-hours",
            _timezone: "UTC",
            _bh_regular1: "Mon-Sun 00:00-24:00",
          };
          for (const [key, value] of Object.entries(section))
            await writeFile(join(hours, key), value);
        }
        const server = await startServer([
          "--service-name",
          `svc-${name}`,
          "--config-dir",
          configDir,
          ...storage(name),
          ...adminFlags,
        ]);
        cleanups.push(() => stopServer(server));
        return server;
      };
      // One after the other on PostgreSQL: the first migrates the shared schema.
      const servers = { a: await start("a"), b: await start("b"), c: await start("c") };
      const upstreams = (names: readonly Name[]): string =>
        names.map((name) => `svc-${name}=${servers[name].base}`).join(",");
      const entry = await startEntry(["--upstreams", upstreams(NAMES), ...adminFlags]);
      cleanups.push(() => stopServer(entry));
      const lockedEntry = await startEntry(["--upstreams", upstreams(["a", "b"]), ...adminFlags]);
      cleanups.push(() => stopServer(lockedEntry));

      // One scheduled callback per service for the same customer, through each service's own path.
      const customer = "+15555550123";
      const desired = new Date(Date.now() + 3_600_000).toISOString();
      const ids = {} as Record<Name, string>;
      for (const name of NAMES) {
        const created = await call(servers[name].base, `/genesys/1/service/callback/svc-${name}`, {
          method: "POST",
          auth: AUTH[name],
          body: { _customer_number: customer, _desired_time: desired },
        });
        expect(created.status, created.text).toBe(200);
        ids[name] = (created.body as { _id: string })._id;
      }
      fixture = { servers, entry, lockedEntry, ids, customer };
    }, 240_000);

    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    const query = (
      auth: string | undefined,
      extra = "",
    ): Promise<{ status: number; body: unknown }> =>
      call(
        fixture.entry.base,
        `/genesys/1/service/callback?_customer_number=${encodeURIComponent(fixture.customer)}&_callback_state=!COMPLETED${extra}`,
        { auth },
      );

    // FT:CallbackAPITests (gms-reference-2.md §7.3): the cross-service query by number, `!COMPLETED`.
    it("answers the cross-service query with what each service lets the caller see (ADR 0050)", async () => {
      const { ids } = fixture;
      const asA = await query(AUTH.a);
      expect(asA.status).toBe(200);
      // A's own record, and the open service's; never B's.
      expect(idsOf(asA.body)).toEqual([ids.a, ids.c].sort());
      const asB = await query(AUTH.b);
      expect(idsOf(asB.body)).toEqual([ids.b, ids.c].sort());
      const anonymous = await query(undefined);
      expect(idsOf(anonymous.body)).toEqual([ids.c]);
      // The admin sees every service, each record once even where every upstream sees the shared store.
      const admin = await query(ADMIN);
      expect(idsOf(admin.body)).toEqual([ids.a, ids.b, ids.c].sort());
      expect(
        (admin.body as { _service_name: string }[]).map((r) => r._service_name).sort(),
      ).toEqual(["svc-a", "svc-b", "svc-c"]);
      // Each record's URL is built by its service from the Host the client called: the entry point.
      for (const record of admin.body as { _url: string }[])
        expect(
          record._url.startsWith(`${fixture.entry.base}/genesys/1/service/callback/svc-`),
        ).toBe(true);
    });

    // gms-reference.md §5: query by `_id` answers an array; another service's id is an empty one.
    it("finds a record by _id only with its own service's credentials", async () => {
      const { ids } = fixture;
      const own = await call(fixture.entry.base, `/genesys/1/service/callback?_id=${ids.b}`, {
        auth: AUTH.b,
      });
      expect(idsOf(own.body)).toEqual([ids.b]);
      const other = await call(fixture.entry.base, `/genesys/1/service/callback?_id=${ids.b}`, {
        auth: AUTH.a,
      });
      expect(other).toMatchObject({ status: 200, body: [] });
    });

    it("answers 401 when no service accepts the credentials, as one service would", async () => {
      const none = await call(
        fixture.lockedEntry.base,
        `/genesys/1/service/callback?_id=${fixture.ids.a}`,
      );
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({ code: 401 });
      const wrong = await call(
        fixture.lockedEntry.base,
        `/genesys/1/service/callback?_id=${fixture.ids.a}`,
        { auth: basic("user-a", "wrong") },
      );
      expect(wrong.status).toBe(401);
    });

    it("refuses bad query input with a 4xx naming it, never a 5xx", async () => {
      const repeated = await query(AUTH.a, "&_callback_state=QUEUED");
      expect(repeated.status).toBe(400);
      expect(JSON.stringify(repeated.body)).toContain("_callback_state");
      const max = await query(AUTH.a, "&max=0");
      expect(max.status).toBe(400);
      expect(JSON.stringify(max.body)).toContain("max");
      const huge = await call(fixture.entry.base, "/genesys/1/admin/callback/cancel", {
        method: "POST",
        auth: ADMIN,
        body: { ids: ["x".repeat(70 * 1024)] },
      });
      expect(huge.status).toBe(413);
      const perService = await call(fixture.entry.base, "/genesys/1/service/callback/svc-a");
      expect(perService.status).toBe(404);
    });

    // gms-reference-2.md §4.4 (FT:CallbackServicesAPI, the Android demo): by `_id` alone.
    it("answers check-queue-position from the service that owns the id", async () => {
      const { ids } = fixture;
      for (const name of NAMES) {
        const position = await call(
          fixture.entry.base,
          `/genesys/1/service/${ids[name]}/check-queue-position`,
          { auth: AUTH[name] },
        );
        expect(position.status, position.text).toBe(200);
        // Scheduled: not queued yet, about an hour to go.
        expect(position.body).toMatchObject({
          _position: "0",
          _agent_ready_threshold_passed: false,
        });
      }
      // Another service's id with A's credentials: not found, never forbidden (ADR 0050).
      const other = await call(
        fixture.entry.base,
        `/genesys/1/service/${ids.b}/check-queue-position`,
        { auth: AUTH.a },
      );
      expect(other.status).toBe(404);
      const unknown = await call(
        fixture.entry.base,
        "/genesys/1/service/no-such-id/check-queue-position",
        {
          auth: AUTH.a,
        },
      );
      expect(unknown.status).toBe(404);
    });

    // gms-reference-2.md §4.3 (the Android demo's CallbackApiManager: GET {_id}/{_action});
    // gms-reference.md §5 (a POST to `_user_action_url`).
    it("continues a dialog at the owner's Callback API, by GET and by POST", async () => {
      const { ids } = fixture;
      for (const method of ["GET", "POST"]) {
        const dialog = await call(
          fixture.entry.base,
          `/genesys/1/service/${ids.a}/ConfirmationDialog`,
          { method, auth: AUTH.a, ...(method === "POST" ? { body: {} } : {}) },
        );
        expect(dialog.status, dialog.text).toBe(200);
        expect(dialog.body).toMatchObject({ _id: ids.a, _action: "ConfirmationDialog" });
      }
      // The owner's own answer comes back as it is: C has no access numbers to dial (its 503 names
      // the option to set), which the entry point does not turn into one of its own.
      const dial = await call(fixture.entry.base, `/genesys/1/service/${ids.c}/DialNumber`);
      expect(dial.status, dial.text).toBe(503);
      expect(dial.text).toContain("set option _access_numbers for service svc-c");
      const foreign = await call(
        fixture.entry.base,
        `/genesys/1/service/${ids.a}/ConfirmationDialog`,
        { auth: AUTH.b },
      );
      expect(foreign.status).toBe(404);
    });

    // gms-reference-2.md §2.3: the office-hours query, served by the services that name the section.
    it("answers an office-hours query from the service that names that section", async () => {
      const hours = await call(fixture.entry.base, "/genesys/1/service/hours-a", { auth: AUTH.a });
      expect(hours.status, hours.text).toBe(200);
      expect(hours.body).toMatchObject({ error: null, timezone: "UTC" });
      expect((hours.body as { periods: unknown[] }).periods).toHaveLength(1);
      // Without A's credentials it is as unknown as a name no service uses.
      const anonymous = await call(fixture.entry.base, "/genesys/1/service/hours-a");
      expect(anonymous.status).toBe(404);
      const unknown = await call(fixture.entry.base, "/genesys/1/service/no-such-hours", {
        auth: AUTH.a,
      });
      expect(unknown.status).toBe(404);
    });

    // gms-reference-2.md §7.1 (GMS_Phone_Validation_Service_API_Tests): the phone-number API names
    // no service; any Callback API that accepts the caller's credentials answers it.
    it("answers the phone-number API from a service that accepts the credentials", async () => {
      const valid = await call(
        fixture.entry.base,
        "/genesys/1/phonenumber?number=06%2004%2012%2004%2005&country=FR&geocodingLocale=DE",
        { auth: AUTH.b },
      );
      expect(valid.status, valid.text).toBe(200);
      expect(valid.body).toMatchObject({ "e164-format": "+33604120405", location: "Frankreich" });
      const bad = await call(fixture.entry.base, "/genesys/1/phonenumber?number=bad&country=DE", {
        auth: AUTH.b,
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({
        exception: "com.genesyslab.gsg.GSGException",
        message: "Invalid Phone Number bad for Country DE (parsing impossible)",
      });
    });

    // gms-reference.md §5 admin rows; gms-reference-2.md §7.2.
    it("merges the admin answers of every service, with the admin credentials only", async () => {
      const { ids } = fixture;
      const denied = await call(fixture.entry.base, "/genesys/1/admin/callback/queues", {
        auth: AUTH.a,
      });
      expect(denied.status).toBe(401);
      const queues = await call(
        fixture.entry.base,
        "/genesys/1/admin/callback/queues?end_time=" +
          encodeURIComponent(new Date(Date.now() + 2 * 3_600_000).toISOString()),
        { auth: ADMIN },
      );
      expect(queues.status, queues.text).toBe(200);
      const byService = queues.body as Record<string, { _id: string }[]>;
      expect(Object.keys(byService).sort()).toEqual(["svc-a", "svc-b", "svc-c"]);
      for (const name of NAMES)
        expect(byService[`svc-${name}`]?.map((r) => r._id)).toEqual([ids[name]]);

      const services = await call(fixture.entry.base, "/genesys/1/admin/callback/services", {
        auth: ADMIN,
      });
      expect(
        (services.body as { services: { name: string }[] }).services.map((s) => s.name),
      ).toEqual(["svc-a", "svc-b", "svc-c"]);
      const marks = await call(
        fixture.entry.base,
        "/genesys/1/admin/callback/watermarks?service_name=svc-a&service_name=svc-c",
        { auth: ADMIN },
      );
      expect(marks.status, marks.text).toBe(200);
      expect(marks.body).toMatchObject({ services: { "svc-a": 0, "svc-c": 0 }, total: 0 });
    });

    it("sends a bulk cancel to every service and combines the results", async () => {
      const { ids } = fixture;
      const cancel = await call(fixture.entry.base, "/genesys/1/admin/callback/cancel", {
        method: "POST",
        auth: ADMIN,
        body: { reason: "CANCELLED_BY_ADMIN", ids: [ids.a, ids.b, "no-such-id"] },
      });
      expect(cancel.status, cancel.text).toBe(200);
      expect(cancel.body).toEqual({
        cancelled: [ids.a, ids.b],
        not_found: ["no-such-id"],
        already_completed: [],
      });
      const again = await call(fixture.entry.base, "/genesys/1/admin/callback/cancel", {
        method: "POST",
        auth: ADMIN,
        body: { ids: [ids.a] },
      });
      expect(again.body).toMatchObject({ already_completed: [ids.a], cancelled: [] });
      const open = await query(ADMIN);
      expect(idsOf(open.body)).toEqual([ids.c]);
    });

    // Last: it stops service C.
    it("answers 503 naming a service that cannot be reached, never a shorter list", async () => {
      await stopServer(fixture.servers.c);
      const listing = await query(AUTH.a);
      expect(listing.status).toBe(503);
      expect(JSON.stringify(listing.body)).toContain("svc-c cannot be reached");
      const admin = await call(fixture.entry.base, "/genesys/1/admin/callback/services", {
        auth: ADMIN,
      });
      expect(admin.status).toBe(503);
      expect(JSON.stringify(admin.body)).toContain("svc-c");
      // An id its owner answers for is found whatever the others do; an unknown one is not known.
      const found = await call(
        fixture.entry.base,
        `/genesys/1/service/${fixture.ids.b}/check-queue-position`,
        { auth: AUTH.b },
      );
      expect(found.status).toBe(400); // cancelled above: the owner's answer
      const unknown = await call(
        fixture.entry.base,
        "/genesys/1/service/no-such-id/check-queue-position",
        { auth: AUTH.a },
      );
      expect(unknown.status).toBe(503);
      expect(JSON.stringify(unknown.body)).toContain("svc-c");
    });
  },
);
