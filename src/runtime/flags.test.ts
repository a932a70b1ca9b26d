import { describe, expect, it } from "vitest";
import { durationFlag, flagHelp, FlagError, parseDuration, readFlags, type Flag } from "./flags.ts";

const flags: readonly Flag[] = [
  { name: "wait", env: "TEST_WAIT", help: "How long.", default: "30s" },
  { name: "file", short: "f", env: "TEST_FILE", help: "A file." },
  { name: "help", env: "", help: "Print this help.", boolean: true },
];

describe("readFlags", () => {
  it("reads --flag=value, --flag value and -f value, then the environment, then the default", () => {
    expect(readFlags(flags, ["--wait=5s"], {})("wait")).toBe("5s");
    expect(readFlags(flags, ["--wait", "5s"], {})("wait")).toBe("5s");
    expect(readFlags(flags, ["-f", "a.yaml"], {})("file")).toBe("a.yaml");
    expect(readFlags(flags, [], { TEST_WAIT: "1m" })("wait")).toBe("1m");
    expect(readFlags(flags, [], { TEST_WAIT: "" })("wait")).toBe("30s");
    expect(readFlags(flags, ["--help"], {})("help")).toBe("true");
  });

  it.each([
    [["--wiat=5s"], 'unknown flag "--wiat"; run with --help to list the flags'],
    [["--wait"], "--wait needs a value: --wait=VALUE"],
    [["--help=yes"], "--help takes no value; write just --help"],
    [["5s"], 'unexpected argument "5s"; every value belongs to a flag: --name=value'],
  ])("%j is refused with the fix", (argv, message) => {
    expect(() => readFlags(flags, argv, {})).toThrow(new FlagError(message));
  });

  it("generates help from the same rows", () => {
    expect(flagHelp(flags)).toContain("--wait VALUE");
    expect(flagHelp(flags)).toContain("[env TEST_WAIT, default 30s]");
    expect(flagHelp(flags)).toContain("-f, --file VALUE");
  });
});

describe("durations, Go style", () => {
  it.each([
    ["250ms", 250],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h30m", 5_400_000],
    ["2.5s", 2_500],
    ["1h0m0.5s", 3_600_500],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "30", "1.5", "s", "30 s", "-1s", "1d", "30sec"])("%j is not a duration", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("refuses a bare number with the fix spelled out", () => {
    const values = readFlags(flags, ["--wait=30"], {});
    expect(() => durationFlag(values, "wait")).toThrow(
      '--wait "30" is invalid: a duration needs a unit; write 30s for seconds (or 30ms, 30m, 30h)',
    );
    expect(() => durationFlag(readFlags(flags, ["--wait=soon"], {}), "wait")).toThrow(
      '--wait "soon" is invalid: use a duration such as 250ms, 30s, 2m or 1h30m',
    );
  });
});
