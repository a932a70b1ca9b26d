// What the apiserver refuses, and how it says so: a table of bad objects (test/support/bad-objects.ts,
// shared with test/reliability/bad-input.test.ts), each rejected with a message that names the
// field and says what is allowed; and the agreement of the CRD's CEL rules with the operator's own
// parsing of _service_groups and option names.
import { beforeAll, describe, expect, it } from "vitest";
import { optionNameProblem } from "../../src/api/option-names.ts";
import { serviceGroupsCases } from "../../src/api/service-groups.cases.ts";
import { parseServiceGroups } from "../../src/api/service-groups.ts";
import { admissionRejections, badObjectBuilders } from "../support/bad-objects.ts";
import { createNamespace, installCrds, tryKubectl } from "../support/cluster.ts";

let namespace = "";

beforeAll(() => {
  installCrds();
  namespace = createNamespace("api-validation");
});

/**
 * Server-side dry run: the apiserver validates fully and stores nothing. The object goes as JSON:
 * kubectl reads YAML 1.1, where an unquoted y or yes is a boolean.
 */
function dryRun(object: unknown): { accepted: boolean; message: string } {
  const result = tryKubectl(
    [
      "apply",
      "--server-side",
      "--dry-run=server",
      "--field-manager=callback-operator-tests",
      "-n",
      namespace,
      "-f",
      "-",
    ],
    { input: JSON.stringify(object) },
  );
  return { accepted: result.status === 0, message: result.stderr };
}

// Built without a namespace: dryRun applies into this file's namespace.
const { withOptions, template } = badObjectBuilders();
const badObjects = admissionRejections();

describe("the apiserver rejects", () => {
  it("at least 25 kinds of bad objects (the table)", () => {
    expect(badObjects.length).toBeGreaterThanOrEqual(25);
  });

  it.each(badObjects)("%s", (_, object, fragments) => {
    const { accepted, message } = dryRun(object);
    expect(accepted, "the apiserver accepted it").toBe(false);
    for (const fragment of fragments) expect(message).toContain(fragment);
  });
});

describe("the apiserver accepts", () => {
  it("the minimal objects the table changes", () => {
    expect(dryRun(withOptions({ _service_groups: "support, blackfriday" }))).toEqual({
      accepted: true,
      message: "",
    });
    expect(dryRun(template({})).accepted).toBe(true);
    expect(
      dryRun(
        withOptions(
          { username: "app" },
          {
            api: {
              replicas: 3,
              databaseSecretRef: { name: "db" },
              passwordSecretRef: { name: "auth" },
            },
          },
        ),
      ).accepted,
    ).toBe(true);
  });
});

describe("the CEL rules and parseServiceGroups agree", () => {
  it.each(serviceGroupsCases)("$name", ({ value }) => {
    const parsed = parseServiceGroups(value);
    const { accepted, message } = dryRun(withOptions({ _service_groups: value }));
    expect(accepted).toBe(parsed.error === undefined);
    if (parsed.error !== undefined) expect(message).toContain(parsed.error);
  });
});

describe("the CEL rules and optionNameProblem agree", () => {
  it.each([
    "_target",
    "_agent_preview",
    "a.b-c_D9",
    "",
    "a b",
    "x/y",
    "é",
    "n".repeat(128),
    "n".repeat(129),
  ])("option name %j", (name) => {
    const problem = optionNameProblem("spec.options", name);
    const { accepted, message } = dryRun(withOptions({ [name]: "1" }));
    expect(accepted).toBe(problem === undefined);
    if (problem !== undefined) expect(message).toContain(problem);
  });
});
