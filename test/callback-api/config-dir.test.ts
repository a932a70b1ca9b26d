// Reading and watching the option directory the way Kubernetes mounts a ConfigMap: files behind a
// `..data` symlink that is swapped atomically, plus a projected Secret's `password` beside them.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConfigDirWatcher,
  readConfigDir,
  type RawOptions,
} from "../../src/callback-api/config-dir.ts";
import { resolveOptions, substituteTokens } from "../../src/callback-api/options.ts";
import { configMapVolume } from "./support/config-map-volume.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cbapi-cfg-"));
  dirs.push(dir);
  return dir;
}

describe("config directory", () => {
  it("reads one option per file, ignores dot files and trims one trailing newline", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "_service_groups"), "support, sales\n");
    await writeFile(join(dir, "_text"), "line1\nline2\n\n");
    await writeFile(join(dir, ".hidden"), "x");
    await mkdir(join(dir, "subdir"));
    expect(await readConfigDir(dir)).toEqual({
      _service_groups: "support, sales",
      _text: "line1\nline2\n",
    });
  });

  it("follows an atomic ..data swap and notices it through the watcher", async () => {
    const dir = await tempDir();
    const swap = await configMapVolume(dir, { _ttl: "60", _service_groups: "a" });
    const initial = await readConfigDir(dir);
    expect(initial).toEqual({ _ttl: "60", _service_groups: "a" });
    const changes: RawOptions[] = [];
    const watcher = new ConfigDirWatcher(initial, {
      dir,
      pollIntervalMs: 200,
      onChange: (o) => changes.push(o),
      onError: () => undefined,
    });
    watcher.start();
    try {
      await swap({ _ttl: "120", _service_groups: "a,b", password: "from-secret" });
      await vi.waitFor(
        () => {
          expect(changes.at(-1)).toEqual({
            _ttl: "120",
            _service_groups: "a,b",
            password: "from-secret",
          });
        },
        { timeout: 10_000, interval: 50 },
      );
      const count = changes.length;
      await watcher.check();
      expect(changes).toHaveLength(count);
    } finally {
      watcher.close();
    }
  });
});

describe("options", () => {
  it("applies GMS defaults and reports values it ignores", () => {
    const options = resolveOptions("svc", {
      _ttl: "abc",
      _request_time_bucket: "7",
      _enable_in_queue_checking: "STRICT",
      _service_groups: "x, y,,x",
    });
    expect(options).toMatchObject({
      _ttl: 86_400,
      _request_time_bucket: 5,
      _enable_in_queue_checking: "strict",
      _service_groups: ["x", "y"],
      _mandatory_customer_lookup_keys: ["_customer_number"],
      _default_country: "US",
      _max_queued_callbacks_per_service: 1000,
      _reject_future_desired_time: 30 * 86_400_000,
      _throttle_request_parameters_limit: 6,
      _request_execution_time_buffer: 120,
    });
    expect(options.warnings).toHaveLength(2);
    expect(
      resolveOptions("svc", {
        max_queued_callbacks_per_service: "7",
        _throttle_customer_number_limit: "3",
      }),
    ).toMatchObject({
      _max_queued_callbacks_per_service: 7,
      _throttle_request_parameters_limit: 3,
    });
    expect(
      resolveOptions("svc", { _overwritable_options: "_ors,_ttl,_target" })._overwritable_options,
    ).toEqual(["_ors", "_target"]);
  });

  it("substitutes $token$ from request parameters and leaves unknown tokens", () => {
    expect(substituteTokens("Agent@$stat$.GA,$missing$", { stat: "SS1" })).toBe(
      "Agent@SS1.GA,$missing$",
    );
  });
});
