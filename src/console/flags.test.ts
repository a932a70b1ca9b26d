import { describe, expect, it } from "vitest";
import { FlagError } from "../runtime/flags.ts";
import { parseConsoleFlags } from "./flags.ts";

function problem(argv: string[]): string {
  try {
    parseConsoleFlags(argv, {});
  } catch (error) {
    if (error instanceof FlagError) return error.message;
    throw error;
  }
  return "accepted";
}

describe("parseConsoleFlags", () => {
  it("starts with nothing configured", () => {
    const config = parseConsoleFlags([], {});
    expect(config).toMatchObject({
      port: 8080,
      localUsersDir: undefined,
      admin: undefined,
      sessionTtlMs: 8 * 3_600_000,
      sessionIdleMs: 30 * 60_000,
      oidc: undefined,
    });
  });

  it("reads the Callback API URL overrides by namespace/name", () => {
    const config = parseConsoleFlags(
      [
        "--callback-api-urls",
        "east/support=http://127.0.0.1:8081,west/sales=http://127.0.0.1:8082/",
      ],
      {},
    );
    expect(config !== "help" && [...config.urlOverrides]).toEqual([
      ["east/support", "http://127.0.0.1:8081"],
      ["west/sales", "http://127.0.0.1:8082"],
    ]);
  });

  it.each([
    [["--callback-api-urls", "support=http://127.0.0.1:1"], "<namespace>/<name>"],
    [["--admin-username", "admin"], "--admin-password-file"],
    [["--session-ttl", "8"], "--session-ttl"],
    [["--session-idle", "500ms"], "--session-idle"],
    [["--external-url", "https://console.example.com/ui"], "--external-url"],
  ])("refuses %j naming %s", (argv, named) => {
    expect(problem(argv)).toContain(named);
  });
});
