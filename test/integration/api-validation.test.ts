// What the apiserver refuses, and how it says so: a table of bad objects, each rejected with a
// message that names the field and says what is allowed; and the agreement of the CRD's CEL rules
// with the operator's own parsing of _service_groups and option names.
import { beforeAll, describe, expect, it } from "vitest";
import { optionNameProblem } from "../../src/api/option-names.ts";
import { serviceGroupsCases } from "../../src/api/service-groups.cases.ts";
import { parseServiceGroups } from "../../src/api/service-groups.ts";
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
      "-f",
      "-",
    ],
    { input: JSON.stringify(object) },
  );
  return { accepted: result.status === 0, message: result.stderr };
}

type Spec = Record<string, unknown>;

const service = (spec: Spec, name = "callback-test"): unknown => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "CallbackService",
  metadata: { name, namespace },
  spec,
});

const withOptions = (options: Record<string, string>, rest: Spec = {}): unknown =>
  service({ scenario: "User-Terminated-Delayed", options, ...rest });

const template = (spec: Spec): unknown => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "ServiceTemplate",
  metadata: { name: "test-template" },
  spec: {
    options: [
      { name: "_call_direction", type: "enum", enum: ["USERORIGINATED", "USERTERMINATED"] },
      { name: "_ttl", type: "integer", default: "86400" },
    ],
    scenarios: [{ name: "Immediate", values: { _call_direction: "USERTERMINATED" } }],
    ...spec,
  },
});

const templateOption = (option: Spec): unknown => template({ options: [option] });

const groupRule =
  "use at most 63 characters, letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const nameRule = "use 1 to 128 letters, digits, '-', '_' or '.'";
const many = (count: number, make: (i: number) => string): string[] =>
  Array.from({ length: count }, (_, i) => make(i));

/** Each is rejected; the message contains every fragment (the field, then what is allowed). */
const badObjects: readonly [string, unknown, readonly string[]][] = [
  // _service_groups
  [
    "a group name with a space inside",
    withOptions({ _service_groups: "support, Sales Team" }),
    ['spec.options._service_groups: group "Sales Team" is not a valid label name', groupRule],
  ],
  [
    "a 64-character group",
    withOptions({ _service_groups: "g".repeat(64) }),
    [`spec.options._service_groups: group "${"g".repeat(64)}"`, "at most 63 characters"],
  ],
  [
    "an empty entry",
    withOptions({ _service_groups: "support,,sales" }),
    [
      'spec.options._service_groups: "support,,sales" has an empty group name',
      "separate group names with single commas",
    ],
  ],
  [
    "a group repeated after trimming",
    withOptions({ _service_groups: "support, sales, support " }),
    [
      'spec.options._service_groups: group "support" is listed more than once',
      "list each group once",
    ],
  ],
  [
    "a group starting with '-'",
    withOptions({ _service_groups: "-support" }),
    [
      'spec.options._service_groups: group "-support"',
      "starting and ending with a letter or digit",
    ],
  ],
  [
    "semicolons between groups",
    withOptions({ _service_groups: "support;sales" }),
    ['group "support;sales" is not a valid label name', "separate groups with commas"],
  ],
  [
    "spaces between groups",
    withOptions({ _service_groups: "support sales" }),
    ['group "support sales" is not a valid label name', "separate groups with commas"],
  ],
  [
    "33 groups",
    withOptions({ _service_groups: many(33, (i) => `g${i}`).join(",") }),
    ["spec.options._service_groups: more than 32 groups are listed", "list at most 32"],
  ],
  [
    "an empty _service_groups",
    withOptions({ _service_groups: "" }),
    ["spec.options._service_groups: the value is empty", "or remove the option"],
  ],
  // Option names and values
  [
    "an option name that is not a ConfigMap key",
    withOptions({ "target queue": "x" }),
    ['spec.options: option name "target queue" is not valid', nameRule],
  ],
  [
    "an empty option name",
    withOptions({ "": "x" }),
    ["spec.options: an option name is empty", nameRule],
  ],
  [
    "an oversized value",
    withOptions({ _target: "x".repeat(4097) }),
    ["spec.options._target", "4096"],
  ],
  [
    "too many options",
    withOptions(Object.fromEntries(many(257, (i) => `_o${i}`).map((name) => [name, "1"]))),
    ["spec.options", "256"],
  ],
  [
    "the Basic-auth password as an option",
    withOptions({ password: "secret" }),
    ["spec.options.password", "reference it with spec.api.passwordSecretRef"],
  ],
  [
    "a username without passwordSecretRef",
    withOptions({ username: "app" }),
    ["spec.options.username and spec.api.passwordSecretRef go together", "set both"],
  ],
  [
    "passwordSecretRef without a username",
    service({ scenario: "S", api: { passwordSecretRef: { name: "auth" } } }),
    ["spec.options.username and spec.api.passwordSecretRef go together", "or neither"],
  ],
  [
    "a removed option that is not a valid name",
    service({ scenario: "S", removedOptions: ["_prefix dial"] }),
    ['spec.removedOptions: option name "_prefix dial" is not valid', nameRule],
  ],
  [
    "an option both set and removed",
    withOptions({ _prefix_dial_out: "9" }, { removedOptions: ["_prefix_dial_out"] }),
    [
      'spec.removedOptions: option "_prefix_dial_out" is also set in spec.options',
      "keep it in one",
    ],
  ],
  // Scenario, template, name
  ["an empty scenario", service({ scenario: "" }), ["spec.scenario", "at least 1 chars long"]],
  ["no scenario", service({}), ["spec.scenario", "Required value"]],
  [
    "a template name that is not a DNS name",
    service({ scenario: "S", template: "Callback Template" }),
    ["spec.template", "should match"],
  ],
  [
    "a service name starting with a digit",
    service({ scenario: "S" }, "1-support"),
    ['metadata.name: "1-support" cannot name a callback service', "starting with a letter"],
  ],
  [
    "a 64-character service name",
    service({ scenario: "S" }, "s".repeat(64)),
    ["metadata.name", "63"],
  ],
  ["suspend as a string", service({ scenario: "S", suspend: "yes" }), ["spec.suspend", "boolean"]],
  // spec.api
  [
    "3 replicas on the embedded database",
    service({ scenario: "S", api: { replicas: 3 } }),
    ["spec.api.replicas: more than 1 replica needs spec.api.databaseSecretRef", "1 replica only"],
  ],
  [
    "51 replicas",
    service({ scenario: "S", api: { replicas: 51, databaseSecretRef: { name: "db" } } }),
    ["spec.api.replicas", "less than or equal to 50"],
  ],
  [
    "a resource request that is not a quantity",
    service({ scenario: "S", api: { resources: { requests: { memory: "lots" } } } }),
    ['spec.api.resources.requests.memory: "lots" is not a Kubernetes quantity', "256Mi"],
  ],
  [
    "a toleration with an unknown operator",
    service({ scenario: "S", api: { tolerations: [{ key: "k", operator: "Maybe" }] } }),
    ["spec.api.tolerations[0].operator", '"Exists", "Equal"'],
  ],
  // spec.route
  [
    "both an Ingress class and Gateway parentRefs",
    service({ scenario: "S", route: { ingressClassName: "nginx", parentRefs: [{ name: "gw" }] } }),
    ["spec.route: set either ingressClassName", "not both"],
  ],
  [
    "a host with a scheme",
    service({ scenario: "S", route: { host: "https://callbacks.example.com" } }),
    [
      'spec.route.host: "https://callbacks.example.com" is not a valid host name',
      "e.g. callbacks.example.com",
    ],
  ],
  // ServiceTemplate
  [
    "a template whose enum default is outside its enum",
    templateOption({ name: "_a", type: "enum", enum: ["x", "y"], default: "z" }),
    ['spec.options: option "_a": default "z" is not one of its enum values', "x, y"],
  ],
  [
    "a template enum option without values",
    templateOption({ name: "_a", type: "enum" }),
    ['spec.options: option "_a" has type enum but no enum values', "list the allowed values"],
  ],
  [
    "a template with enum values on an integer option",
    templateOption({ name: "_a", type: "integer", enum: ["1"] }),
    ['option "_a" has enum values but type integer', "only to type enum or list"],
  ],
  [
    "a template boolean default that is not true or false",
    templateOption({ name: "_a", type: "boolean", default: "yes" }),
    ['option "_a": default "yes" is not a boolean', "use true or false"],
  ],
  [
    "a template integer default that is not a number",
    templateOption({ name: "_a", type: "integer", default: "thirty" }),
    ['option "_a": default "thirty" is not an integer', "use a whole number"],
  ],
  [
    "a template request parameter with a default",
    templateOption({ name: "_a", request: true, default: "x" }),
    ['option "_a" is a request parameter and has a default', "has no default"],
  ],
  [
    "a template scenario value for an undeclared option",
    template({ scenarios: [{ name: "S", values: { _nope: "1" } }] }),
    [
      'spec.scenarios: scenario "S" sets option "_nope", which spec.options does not declare',
      "declare it or remove the value",
    ],
  ],
  [
    "a template declaring an option twice",
    template({ options: [{ name: "_a" }, { name: "_a" }] }),
    ["spec.options", 'duplicate entries for key [name="_a"]'],
  ],
  [
    "a template option name that is not a ConfigMap key",
    templateOption({ name: "a b" }),
    ['spec.options.name: option name "a b" is not valid', nameRule],
  ],
  [
    "a template option of an unknown type",
    templateOption({ name: "_a", type: "number" }),
    ["spec.options[0].type", '"string", "integer", "boolean", "enum", "list"'],
  ],
  ["a template without options", template({ options: [] }), ["spec.options", "at least 1 items"]],
];

describe("the apiserver rejects", () => {
  it("at least 25 kinds of bad objects (this table)", () => {
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
