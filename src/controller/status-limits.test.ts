import { describe, expect, it } from "vitest";
import { annotationKeys } from "../api/group.ts";
import { limits } from "../api/limits.ts";
import { computeConditions } from "./service-status.ts";
import { fitMessage, fitText, fitWarnings, requestedAtEcho } from "./status-limits.ts";

const bytes = (text: string): number => Buffer.byteLength(text);

describe("fitText", () => {
  it("keeps a text that fits", () => {
    expect(fitText("short", 5)).toBe("short");
  });

  it("cuts a long text to the bound in UTF-8 bytes, never inside a character, saying so", () => {
    const text = "é🙂".repeat(10_000); // 2 + 4 bytes, 2 characters
    const fitted = fitText(text, 1024);
    expect(bytes(fitted)).toBeLessThanOrEqual(1024);
    expect(fitted).toMatch(/^(é🙂)+é? … \(cut: 20000 characters in all\)$/u);
    expect(fitted).not.toContain("\uFFFD");
  });
});

describe("fitWarnings", () => {
  it("keeps at most the list's bound, the last counting the rest", () => {
    const warnings = Array.from({ length: 100 }, (_, i) => `option _o${String(i)} is undeclared`);
    const fitted = fitWarnings(warnings);
    expect(fitted).toHaveLength(limits.warnings);
    expect(fitted.slice(0, -1)).toEqual(warnings.slice(0, limits.warnings - 1));
    expect(fitted.at(-1)).toBe("… and 37 more warnings, not shown");
    expect(fitWarnings(warnings.slice(0, 64))).toEqual(warnings.slice(0, 64));
  });

  it("cuts each warning to the bound of one", () => {
    const [fitted] = fitWarnings(["w".repeat(5000)]);
    expect(bytes(fitted ?? "")).toBeLessThanOrEqual(limits.warning);
  });
});

describe("requestedAtEcho", () => {
  const key = annotationKeys.requestedAt;

  it("echoes a timestamp, and nothing when the annotation is absent", () => {
    expect(requestedAtEcho(key, "2026-11-25T12:00:00Z")).toEqual({ echo: "2026-11-25T12:00:00Z" });
    expect(requestedAtEcho(key, undefined)).toEqual({});
  });

  it("warns, naming the annotation, instead of echoing a value too long for the status", () => {
    const result = requestedAtEcho(key, "r".repeat(65));
    expect(result.echo).toBeUndefined();
    expect(result.warning).toContain(`metadata.annotations["${key}"]: the value has 65 bytes`);
    expect(result.warning).toContain("echoes at most 64");
  });
});

describe("computeConditions", () => {
  it("cuts a message longer than a condition holds (a template with hundreds of problems)", () => {
    const message = Array.from({ length: 256 }, (_, i) => `problem ${String(i)} `.repeat(40)).join(
      "; ",
    );
    const conditions = computeConditions(
      { kind: "stalled", step: "ResolveTemplate", reason: "InvalidTemplate", message },
      undefined,
      1,
      0,
    );
    for (const condition of conditions) {
      expect(bytes(condition.message ?? "")).toBeLessThanOrEqual(limits.conditionMessage);
    }
    const stalled = conditions.find((c) => c.type === "Stalled");
    expect(stalled?.message).toBe(fitMessage(message));
    expect(stalled?.message?.startsWith("problem 0 ")).toBe(true);
  });
});
