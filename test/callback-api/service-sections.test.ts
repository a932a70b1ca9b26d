// The office-hours and capacity sections as the operator mounts them into the Callback API pod:
// `<config-dir>/services/<name>/`, one file per option, behind a ConfigMap's `..data` symlink.
// Read at start, watched while running; a missing one is logged once and answered with a GMS 400
// (gms-reference-2.md §2.3: `_business_hours_service` verifies the desired time).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ServiceSections } from "../../src/callback-api/service-sections.ts";
import { PERMISSIVE } from "./support/app.ts";
import { startServer, stopServer, writeConfigDir } from "./support/server-process.ts";
import { configMapVolume } from "./support/config-map-volume.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempConfigDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cbapi-sections-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const day = (offset: number): string =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe("linked service sections", () => {
  it("reads services/<name>/, follows ..data swaps, and sees a section appear and go", async () => {
    const dir = await tempConfigDir();
    const swap = await configMapVolume(join(dir, "services", "office"), {
      _timezone: "Europe/Paris",
      _bh_regular1: "Mon-Fri 9:00-17:00",
    });
    let changes = 0;
    const sections = new ServiceSections({
      servicesDir: join(dir, "services"),
      pollIntervalMs: 200,
      onChange: () => changes++,
      onError: () => undefined,
    });
    cleanups.push(() => {
      sections.close();
      return Promise.resolve();
    });
    await sections.follow(["office", "capacity", "../escape"]);
    expect(changes).toBe(0);
    expect(sections.lookup("office")).toEqual({
      _timezone: "Europe/Paris",
      _bh_regular1: "Mon-Fri 9:00-17:00",
    });
    expect(sections.lookup("capacity")).toBeUndefined();
    sections.start();

    await swap({ _timezone: "Europe/Paris", _bh_regular1: "Mon-Sat 8:00-18:00" });
    await vi.waitFor(
      () => {
        expect(sections.lookup("office")?.["_bh_regular1"]).toBe("Mon-Sat 8:00-18:00");
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(changes).toBeGreaterThan(0);

    await configMapVolume(join(dir, "services", "capacity"), { _service: "capacity" });
    await vi.waitFor(
      () => {
        expect(sections.lookup("capacity")).toEqual({ _service: "capacity" });
      },
      { timeout: 10_000, interval: 50 },
    );
    await rm(join(dir, "services", "office"), { recursive: true });
    await vi.waitFor(
      () => {
        expect(sections.lookup("office")).toBeUndefined();
      },
      { timeout: 10_000, interval: 50 },
    );
    // The kubelet mounts an optional ConfigMap that does not exist as an empty directory: that is
    // a missing service, not an always-closed one.
    await mkdir(join(dir, "services", "office"));
    await sections.check();
    expect(sections.lookup("office")).toBeUndefined();
    // Unfollowed: no longer read.
    await sections.follow(["office"]);
    expect(sections.lookup("capacity")).toBeUndefined();
  });

  it(
    "starts with a missing office-hours service, warns once, refuses scheduled starts, and honours the section once mounted",
    { timeout: 60_000 },
    async () => {
      const dir = await writeConfigDir({
        ...PERMISSIVE,
        _business_hours_service: "office",
        _request_time_bucket: "60",
      });
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await mkdir(join(dir, "services"));
      const server = await startServer([
        "--service-name",
        "linked",
        "--config-dir",
        dir,
        "--in-memory",
      ]);
      cleanups.push(() => stopServer(server));
      const warning = "_business_hours_service=office: no office-hours service office is mounted";
      expect(server.output().split(warning)).toHaveLength(2);

      const url = `${server.base}/genesys/1/service/callback/linked`;
      const schedule = (date: string, number: string) =>
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ _customer_number: number, _desired_time: `${date}T12:00:00Z` }),
        });
      const missing = await schedule(day(2), "5601");
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({
        exception:
          "com.genesyslab.gsg.services.callback.exceptions.CallbackExceptionServiceConfiguration",
      });

      await configMapVolume(join(dir, "services", "office"), {
        _type: "builtin",
        _service: "office-hours",
        _timezone: "UTC",
        _bh_regular1: "Mon-Sun 00:00-24:00",
        _holiday1: day(3),
      });
      await vi.waitFor(
        async () => {
          expect((await schedule(day(2), "5602")).status).toBe(200);
        },
        { timeout: 20_000, interval: 100 },
      );
      const holiday = await schedule(day(3), "5603");
      expect(holiday.status).toBe(400);
      expect(await holiday.json()).toMatchObject({
        exception:
          "com.genesyslab.gsg.services.callback.exceptions.CallbackExceptionOutOfOfficeHours",
      });
      // The warning was not repeated while the section was missing.
      expect(server.output().split(warning)).toHaveLength(2);
    },
  );
});
