import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { callbackServiceSchema, callbackServiceSpecSchema } from "./callback-service.ts";

const examplesDir = path.join(import.meta.dirname, "../../examples");
const examples = readdirSync(examplesDir).filter((file) => file.endsWith(".yaml"));

const issues = (spec: unknown): string[] => {
  const result = callbackServiceSpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe("CallbackService", () => {
  it("has the examples the GMS docs name", () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        "callback-support.yaml",
        "callback-blackfriday-support.yaml",
        "callback-for-mobile.yaml",
      ]),
    );
  });

  it.each(examples)("parses examples/%s", (file) => {
    const object: unknown = parse(readFileSync(path.join(examplesDir, file), "utf8"));
    const result = callbackServiceSchema.safeParse(object);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("fills in the defaults the apiserver fills in, and only those", () => {
    const spec = callbackServiceSpecSchema.parse({ scenario: "User-Terminated-Delayed" });
    expect(spec).toEqual({
      template: "callback",
      scenario: "User-Terminated-Delayed",
      suspend: false,
    });
    const withApi = callbackServiceSpecSchema.parse({
      scenario: "S",
      api: { databaseSecretRef: { name: "db" } },
    });
    expect(withApi.api).toEqual({ replicas: 1, databaseSecretRef: { name: "db", key: "url" } });
  });

  it("requires a scenario", () => {
    expect(issues({})).toHaveLength(1);
    expect(issues({ scenario: "" })).toHaveLength(1);
  });

  it.each([
    [{ "a b": "1" }, 'spec.options: option name "a b" is not valid'],
    [{ "": "1" }, "spec.options: an option name is empty"],
    [{ _service_groups: "support,,sales" }, "has an empty group name"],
    [
      { password: "secret" },
      "spec.options.password: the Basic-auth password must not be an option",
    ],
  ])("rejects options %j like the CRD does", (options, message) => {
    expect(issues({ scenario: "S", options }).join("\n")).toContain(message);
  });
});
