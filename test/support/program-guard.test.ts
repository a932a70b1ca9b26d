import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { refusal, VIOLATIONS_ENV } from "./program-guard.ts";
import { aptInstalls, parsePrerequisites, readmePrerequisites } from "./prerequisites.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
/** A made-up file system for the pure checks below: no path of this machine. */
const fake = (relative: string): string => path.join(path.sep, "fixture", relative);
const roots = {
  repo: fake("repo"),
  toolCache: fake("cache/callback-operator"),
  node: fake("node/bin/node"),
};

describe("the README's prerequisites", () => {
  it("are read from its set-up table", () => {
    const parsed = parsePrerequisites(`# x

## Set-up on a fresh machine

| Program | Why | On Debian |
|---|---|---|
| \`go\` 1.26 | builds | from go.dev |
| \`openssl\` and \`psql\` | certs | \`apt-get install openssl postgresql-client\` |

## Next
| \`not-here\` | | \`apt-get install nope\` |
`);
    expect([...parsed.programs]).toEqual(["go", "openssl", "psql"]);
    expect([...parsed.debianPackages]).toEqual(["openssl", "postgresql-client"]);
  });

  it("name the programs the suite needs and no system Lua", () => {
    const { programs } = readmePrerequisites();
    for (const program of ["node", "npm", "go", "openssl", "chromium"])
      expect(programs).toContain(program);
    expect([...programs].filter((p) => p.startsWith("lua"))).toEqual([]);
  });

  it(".ci/run installs only packages the README lists", () => {
    const script = readFileSync(path.join(repoRoot, ".ci/run"), "utf8");
    const installed = aptInstalls(script);
    expect(installed.length).toBeGreaterThan(0); // the parser sees the installs that are there
    const listed = readmePrerequisites().debianPackages;
    expect(installed.filter((name) => !listed.has(name))).toEqual([]);
  });

  it("reads apt-get install lines with flags", () => {
    expect(
      aptInstalls("apt-get update -qq && apt-get install -y -qq openssl lua5.4; echo"),
    ).toEqual(["openssl", "lua5.4"]);
  });
});

describe("the program guard", () => {
  const listed = new Set(["go", "openssl"]);

  it.each([
    ["go", undefined],
    ["openssl", undefined],
    [fake("node/bin/node"), undefined],
    [fake("cache/callback-operator/tools/kstatus-1/bin/kstatus"), undefined],
    [fake("repo/.cluster/bin/kubectl"), undefined],
    ["/usr/bin/go", undefined],
  ])("lets %s run", (command, expected) => {
    expect(refusal(command, listed, roots)).toBe(expected);
  });

  it.each([
    ["lua5.4", /not listed in the README/],
    [fake("elsewhere/bin/lua5.4"), /outside the repository and the tool cache/],
    [fake("cache/callback-operator-evil/x"), /outside/],
    [`${fake("repo")}/../etc/x`, /outside/],
    ["/usr/bin/lua5.4", /not a listed program in \/usr\/bin/],
    ["/usr/local/bin/go", /outside/],
  ])("refuses %s", (command, message) => {
    expect(refusal(command, listed, roots)).toMatch(message);
  });

  it("is installed in this worker: an unlisted program throws and is logged for the teardown", () => {
    // This deliberate refusal goes to a log of its own, not the run's (which would fail the run).
    const runLog = process.env[VIOLATIONS_ENV];
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), "guard-test-")), "log");
    process.env[VIOLATIONS_ENV] = log;
    try {
      expect(() => spawnSync("lua5.4", ["-v"])).toThrow(/not listed in the README's prerequisites/);
    } finally {
      if (runLog === undefined) Reflect.deleteProperty(process.env, VIOLATIONS_ENV);
      else process.env[VIOLATIONS_ENV] = runLog;
    }
    expect(readFileSync(log, "utf8")).toMatch(/^A test ran lua5\.4: /);
    expect(spawnSync("go", ["version"], { encoding: "utf8" }).stdout).toMatch(/^go version/);
  });
});
