// Bad objects the apiserver refuses at admission, each with the fragments its message must contain
// (the field, then what is allowed). One table for two tests: test/integration/api-validation
// (server-side dry runs) and test/reliability/bad-input (real applies beside Ready services).

export type Spec = Record<string, unknown>;

/** A description, the object, and the fragments the apiserver's message must contain. */
export type AdmissionCase = readonly [string, unknown, readonly string[]];

export interface BadObjectBuilders {
  /** A CallbackService named `callback-test` unless `name` is given. */
  readonly service: (spec: Spec, name?: string) => unknown;
  /** A CallbackService of the built-in template's User-Terminated-Delayed with these options. */
  readonly withOptions: (options: Record<string, unknown>, rest?: Spec) => unknown;
  /** The ServiceTemplate `test-template`: two options and one scenario, `spec` overriding them. */
  readonly template: (spec: Spec) => unknown;
  /** `test-template` declaring only this option. */
  readonly templateOption: (option: Spec) => unknown;
}

/** Builders of the table's objects; `namespace` is left out of the objects when undefined. */
export function badObjectBuilders(namespace?: string): BadObjectBuilders {
  const service = (spec: Spec, name = "callback-test"): unknown => ({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: namespace === undefined ? { name } : { name, namespace },
    spec,
  });
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
  return {
    service,
    withOptions: (options, rest = {}) =>
      service({ scenario: "User-Terminated-Delayed", options, ...rest }),
    template,
    templateOption: (option) => template({ options: [option] }),
  };
}

const groupRule =
  "use at most 63 characters, letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const nameRule = "use 1 to 128 letters, digits, '-', '_' or '.'";
/** `count` things made by `make`. */
export const many = <T>(count: number, make: (i: number) => T): T[] =>
  Array.from({ length: count }, (_, i) => make(i));

/** Each is rejected; the message contains every fragment (the field, then what is allowed). */
export function admissionRejections(namespace?: string): readonly AdmissionCase[] {
  const { service, withOptions, template, templateOption } = badObjectBuilders(namespace);
  return [
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
    [
      "a group with a non-ASCII letter",
      withOptions({ _service_groups: "support, ventes-équipe" }),
      ['spec.options._service_groups: group "ventes-équipe" is not a valid label name', groupRule],
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
      "an option name with a tab inside",
      withOptions({ "_t\tl": "60" }),
      ["spec.options: option name", "is not valid", nameRule],
    ],
    [
      "a YAML document smuggled into an option name",
      withOptions({ "_ttl: 1\n---\nkind: Secret": "x" }),
      // A message may not hold a line break, so the apiserver falls back to the general one.
      ["spec.options: an option name is not valid", nameRule],
    ],
    [
      "an oversized value",
      withOptions({ _target: "x".repeat(4097) }),
      ["spec.options._target", "4096"],
    ],
    [
      "an option value that is a number, not a string",
      withOptions({ _ttl: 60 }),
      ["spec.options._ttl", "string"],
    ],
    [
      "options as a list instead of a map",
      service({ scenario: "S", options: ["_ttl=60"] }),
      ["spec.options", "map"],
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
    [
      "an option removed twice",
      service({ scenario: "S", removedOptions: ["_prefix_dial_out", "_prefix_dial_out"] }),
      ["spec.removedOptions", '"_prefix_dial_out"'],
    ],
    // Scenario, template, name, unknown fields
    ["an empty scenario", service({ scenario: "" }), ["spec.scenario", "at least 1 chars long"]],
    ["no scenario", service({}), ["spec.scenario", "Required value"]],
    [
      "a 64-character scenario",
      service({ scenario: "S".repeat(64) }),
      ["spec.scenario", "may not be more than 63"],
    ],
    [
      "a misspelt field (spec.scenarios)",
      service({ scenario: "S", scenarios: "User-Terminated-Delayed" }),
      ["spec.scenarios", "field not declared in schema"],
    ],
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
    [
      "suspend as a string",
      service({ scenario: "S", suspend: "yes" }),
      ["spec.suspend", "boolean"],
    ],
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
      "replicas as a word",
      service({ scenario: "S", api: { replicas: "two" } }),
      ["spec.api.replicas", "int"],
    ],
    [
      "a database Secret name that is not a DNS name",
      service({ scenario: "S", api: { databaseSecretRef: { name: "Callback_DB" } } }),
      ["spec.api.databaseSecretRef.name", "should match"],
    ],
    [
      "a password Secret key with a slash",
      withOptions({ username: "app" }, { api: { passwordSecretRef: { name: "a", key: "p/w" } } }),
      ["spec.api.passwordSecretRef.key", "should match"],
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
    [
      "a negative tolerationSeconds",
      service({ scenario: "S", api: { tolerations: [{ key: "k", tolerationSeconds: -1 }] } }),
      ["spec.api.tolerations[0].tolerationSeconds", "greater than or equal to 0"],
    ],
    [
      "pod annotations as a list",
      service({ scenario: "S", api: { podAnnotations: ["sidecar.istio.io/inject=false"] } }),
      ["spec.api.podAnnotations", "map"],
    ],
    // spec.route
    [
      "both an Ingress class and Gateway parentRefs",
      service({
        scenario: "S",
        route: { ingressClassName: "nginx", parentRefs: [{ name: "gw" }] },
      }),
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
    [
      "a wildcard host",
      service({ scenario: "S", route: { host: "*.example.com" } }),
      ['spec.route.host: "*.example.com" is not a valid host name', "no scheme, port or wildcard"],
    ],
    [
      "a Gateway parentRef without a name",
      service({ scenario: "S", route: { parentRefs: [{ namespace: "gateways" }] } }),
      ["spec.route.parentRefs[0].name", "Required value"],
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
      "a template enum given as one string",
      templateOption({ name: "_a", type: "enum", enum: "x, y" }),
      ['.spec.options[name="_a"].enum: expected list'],
    ],
    [
      "a template with 33 enum values",
      templateOption({ name: "_a", type: "enum", enum: many(33, (i) => `v${i}`) }),
      ["spec.options[0].enum", "must have at most 32 items"],
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
      "a template integer default of 16 digits",
      templateOption({ name: "_a", type: "integer", default: "1234567890123456" }),
      ['option "_a": default "1234567890123456" is not an integer', "use a whole number"],
    ],
    [
      "a template default over 4096 characters",
      templateOption({ name: "_a", default: "x".repeat(4097) }),
      ["spec.options[0].default", "4096"],
    ],
    [
      "a template mandatory flag as a string",
      templateOption({ name: "_a", mandatory: "yes" }),
      ['.spec.options[name="_a"].mandatory: expected boolean'],
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
      "a template declaring a scenario twice",
      template({ scenarios: [{ name: "Immediate" }, { name: "Immediate" }] }),
      ["spec.scenarios", 'duplicate entries for key [name="Immediate"]'],
    ],
    [
      "a template scenario with an empty name",
      template({ scenarios: [{ name: "" }] }),
      ["spec.scenarios[0].name", "at least 1 chars long"],
    ],
    [
      "a template scenario presetting 33 options",
      template({
        options: many(33, (i) => ({ name: `_o${i}` })),
        scenarios: [{ name: "S", values: Object.fromEntries(many(33, (i) => [`_o${i}`, "1"])) }],
      }),
      ["spec.scenarios[0].values", "must have at most 32 items"],
    ],
    [
      "a template option name that is not a ConfigMap key",
      templateOption({ name: "a b" }),
      ['spec.options.name: option name "a b" is not valid', nameRule],
    ],
    [
      "a template option name with a non-ASCII letter",
      templateOption({ name: "_café" }),
      ['spec.options.name: option name "_café" is not valid', nameRule],
    ],
    [
      "a template option of an unknown type",
      templateOption({ name: "_a", type: "number" }),
      ["spec.options[0].type", '"string", "integer", "boolean", "enum", "list"'],
    ],
    [
      "a template with options as a map",
      template({ options: { _a: { type: "string" } } }),
      ["spec.options", "list"],
    ],
    ["a template without options", template({ options: [] }), ["spec.options", "at least 1 items"]],
    [
      "a template with 257 options",
      template({ options: many(257, (i) => ({ name: `_o${i}` })) }),
      ["spec.options", "must have at most 256 items"],
    ],
  ];
}
