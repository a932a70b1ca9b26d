import { describe, expect, it } from "vitest";
import { safeReturnTo } from "./return-to.ts";

describe("safeReturnTo", () => {
  it.each([
    ["/", "/"],
    ["/services", "/services"],
    ["/callbacks?state=QUEUED&page=2#top", "/callbacks?state=QUEUED&page=2#top"],
    ["/a/../b", "/b"],
  ])("keeps the console path %j", (raw, kept) => {
    expect(safeReturnTo(raw)).toBe(kept);
  });

  it.each([
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/.//evil.example",
    "/a/..//evil.example",
    "javascript:alert(1)",
    "services",
    "",
    "/x".padEnd(3000, "x"),
  ])("replaces %j by /", (raw) => {
    expect(safeReturnTo(raw)).toBe("/");
  });

  it("replaces a value that is not one string by /", () => {
    expect(safeReturnTo(undefined)).toBe("/");
    expect(safeReturnTo(["/a", "/b"])).toBe("/");
  });
});
