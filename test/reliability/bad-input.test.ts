// Bad input beside good services. Ten services are Ready first; then more than a hundred bad
// CallbackServices and ServiceTemplates arrive in the same namespace. Each is refused at admission
// with a message naming the field and the fix (the shared table of test/support/bad-objects.ts),
// or accepted and reported Stalled with a precise reason and message (or, for input that works
// but is probably unintended, in status.warnings). The good services and every child of theirs
// keep their resourceVersion: the operator wrote nothing for them, and it is still ready.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admissionRejections, many, type Spec } from "../support/bad-objects.ts";
import { installCrds, kubectl, kubectlJson, tryKubectl, uniqueName } from "../support/cluster.ts";
import { acceptHttpRoutes } from "../support/examples.ts";
import { operatorLogPath, startOperator, type RunningOperator } from "../support/operator.ts";
import { scrapeMetrics } from "../support/operator-process.ts";

const ns = uniqueName("bad-input");
const prefix = uniqueName("bad-input"); // of the cluster-scoped templates
const operatorName = `bad-input-${ns}`;
const apiVersion = "callback-operator.io/v1alpha1";
const route = { ingressClassName: "nginx" };
const routePoint = { _route_point: "8999@SIP_Switch" };
let operator: RunningOperator | undefined;
const started = performance.now();

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

interface Stored {
  kind: string;
  metadata: { name: string; generation?: number; resourceVersion: string };
  status?: { conditions?: Condition[]; warnings?: string[]; observedGeneration?: number };
}

const condition = (object: Stored, type: string): Condition | undefined =>
  object.status?.conditions?.find((c) => c.type === type);

// ---------------------------------------------------------------------------------------------
// The good services: the built-in template routed by an Ingress, the built-in template routed by
// an HTTPRoute (the operator runs in httproute mode without a default Gateway), and a template of
// their own.

const goodTemplate = `${prefix}-good`;

function service(name: string, spec: Spec, annotations?: Record<string, string>): Spec {
  return {
    apiVersion,
    kind: "CallbackService",
    metadata: { name, namespace: ns, ...(annotations === undefined ? {} : { annotations }) },
    spec,
  };
}

/** A service of the built-in template with an Ingress: everything but `options`/`rest` is fine. */
function builtin(name: string, options: Record<string, string>, rest: Spec = {}): Spec {
  return service(name, {
    scenario: "User-Terminated-Immediate",
    options: { ...routePoint, ...options },
    route,
    ...rest,
  });
}

function template(name: string, options: Spec[], scenarios: Spec[] = [{ name: "Only" }]): Spec {
  return { apiVersion, kind: "ServiceTemplate", metadata: { name }, spec: { options, scenarios } };
}

const goodObjects: Spec[] = [
  template(
    goodTemplate,
    [
      { name: "_ttl", type: "integer", default: "600", mandatory: true },
      { name: "_media_type", type: "enum", enum: ["voice", "chat"], default: "voice" },
      { name: "_service_groups", type: "list" },
    ],
    [{ name: "Only", values: { _media_type: "chat" } }],
  ),
  ...[0, 1, 2, 3].map((i) =>
    builtin(`good-ingress-${String(i)}`, { _service_groups: `support, team-${String(i)}` }),
  ),
  builtin("good-ingress-4", { _ttl: "3600" }, { scenario: "User-Terminated-Scheduled" }),
  ...[0, 1, 2].map((i) =>
    service(`good-route-${String(i)}`, {
      scenario: "User-Originated-Delayed",
      options: { _service_groups: "sales" },
      route: { parentRefs: [{ name: "public", namespace: ns }], host: "callbacks.example.com" },
    }),
  ),
  ...[0, 1].map((i) =>
    service(`good-own-${String(i)}`, {
      template: goodTemplate,
      scenario: "Only",
      options: { _ttl: String(100 + i) },
      route,
    }),
  ),
];
const goodNames = goodObjects
  .filter((o) => o["kind"] === "CallbackService")
  .map((o) => (o["metadata"] as { name: string }).name);

// ---------------------------------------------------------------------------------------------
// The bad objects the apiserver accepts: each is reported by the operator.

interface AcceptedCase {
  readonly name: string;
  readonly object: Spec;
  /** The reason of Stalled=True (and Ready=False); "Warning" for a Ready service with a warning. */
  readonly reason: string;
  /** Fragments of the Stalled message (or of one warning). */
  readonly fragments: readonly string[];
}

/** A bad template, and a service using it: two cases. */
function badTemplate(
  slug: string,
  what: string,
  options: Spec[],
  scenarios: Spec[] | undefined,
  fragments: readonly string[],
): AcceptedCase[] {
  const name = `${prefix}-${slug}`;
  return [
    {
      name: `template: ${what}`,
      object: template(name, options, scenarios),
      reason: "InvalidTemplate",
      fragments,
    },
    {
      name: `service of a template with ${what}`,
      object: service(`uses-${slug}`, { template: name, scenario: "Only", route }),
      reason: "InvalidTemplate",
      fragments: [`ServiceTemplate "${name}" is invalid: `, ...fragments],
    },
  ];
}

const directions = { name: "_dir", type: "enum", enum: ["USERORIGINATED", "USERTERMINATED"] };
const only = (values: Record<string, string>): Spec[] => [{ name: "Only", values }];
const longOptionName = (i: number): string => `_${"o".repeat(120)}${String(i).padStart(3, "0")}`;

const acceptedCases: readonly AcceptedCase[] = [
  // ServiceTemplates whose defaults or scenario values do not fit their declarations.
  ...badTemplate(
    "duration",
    "a duration default in words",
    [{ name: "_d", type: "duration", default: "1 month" }],
    undefined,
    ['spec.options[0].default: option _d: "1 month" is not a duration', "e.g. 1M"],
  ),
  ...badTemplate(
    "url",
    "a javascript: URL default",
    [{ name: "_u", type: "url", default: "javascript:alert(1)" }],
    undefined,
    ['spec.options[0].default: option _u: "javascript:alert(1)" is not a URL', "http or https"],
  ),
  ...badTemplate(
    "json",
    "a default that is not JSON",
    [{ name: "_j", type: "json", default: "{hints: [" }],
    undefined,
    ['spec.options[0].default: option _j: "{hints: [" is not valid JSON'],
  ),
  ...badTemplate(
    "datetime",
    "a default of February 30",
    [{ name: "_t", type: "datetime", default: "2026-02-30T10:00:00Z" }],
    undefined,
    ['option _t: "2026-02-30T10:00:00Z" is not a date and time', "ISO-8601 UTC"],
  ),
  ...badTemplate(
    "list",
    "a list default outside its enum",
    [{ name: "_l", type: "list", enum: ["voice", "chat"], default: "voice, fax" }],
    undefined,
    ['option _l: "voice, fax" lists "fax", which is not allowed', "list only: voice, chat"],
  ),
  ...badTemplate(
    "empty-entry",
    "a list default with an empty entry",
    [{ name: "_l", type: "list", default: "a,,b" }],
    undefined,
    ['option _l: "a,,b" has an empty entry', "separate entries with single commas"],
  ),
  ...badTemplate(
    "groups",
    "a _service_groups default that is no label name",
    [{ name: "_service_groups", type: "list", default: "Sales Team" }],
    undefined,
    ['option _service_groups: group "Sales Team" is not a valid label name'],
  ),
  ...badTemplate(
    "boolean",
    "a scenario value yes for a boolean",
    [{ name: "_b", type: "boolean" }],
    only({ _b: "yes" }),
    ['spec.scenarios[0].values: option _b: "yes" is not a boolean', "use true or false"],
  ),
  ...badTemplate(
    "enum",
    "a scenario value outside the enum",
    [directions],
    only({ _dir: "OUTBOUND" }),
    [
      'spec.scenarios[0].values: option _dir: "OUTBOUND" is not allowed',
      "use one of: USERORIGINATED, USERTERMINATED",
    ],
  ),
  ...badTemplate(
    "injection",
    "a YAML document smuggled into a scenario value",
    [directions],
    only({ _dir: "USERTERMINATED\n---\nkind: Secret" }),
    ["spec.scenarios[0].values: option _dir: ", "is not allowed; use one of"],
  ),
  ...badTemplate(
    "control",
    "a NUL character in an integer scenario value",
    [{ name: "_i", type: "integer" }],
    only({ _i: "60\u0000" }),
    ["spec.scenarios[0].values: option _i: ", "is not an integer"],
  ),
  ...badTemplate(
    "fullwidth",
    "fullwidth digits in a duration scenario value",
    [{ name: "_d", type: "duration" }],
    only({ _d: "１M" }),
    ['spec.scenarios[0].values: option _d: "１M" is not a duration'],
  ),
  ...badTemplate(
    "unsafe-integer",
    "an integer beyond 2^53 in a scenario",
    [{ name: "_i", type: "integer" }],
    only({ _i: "9007199254740993" }),
    ['option _i: "9007199254740993" is not an integer'],
  ),
  ...badTemplate(
    "huge",
    "256 long-named options, each with a bad default",
    many(256, (i) => ({ name: longOptionName(i), type: "url", default: "x".repeat(200) })),
    undefined,
    // 70,000 characters of problems, cut to what a condition message holds.
    [
      `spec.options[0].default: option ${longOptionName(0)}: "`,
      "is not a URL",
      "characters in all)",
    ],
  ),
  // Services of the built-in template: template, scenario, options.
  {
    name: "a template that does not exist",
    object: service("no-template", { template: `${prefix}-missing`, scenario: "Only", route }),
    reason: "TemplateNotFound",
    fragments: [
      `spec.template: ServiceTemplate "${prefix}-missing" does not exist`,
      "create it or name an existing template",
    ],
  },
  {
    name: "a template name too long for a label value",
    object: service("long-template", { template: "t".repeat(64), scenario: "Only", route }),
    reason: "InvalidTemplate",
    fragments: [`spec.template: "${"t".repeat(64)}" has 64 characters`, "at most 63"],
  },
  ...(
    [
      ["an unknown scenario", "User-Terminated-Someday"],
      ["a scenario in the wrong case", "user-terminated-delayed"],
      ["a scenario with Unicode hyphens", "User‐Terminated‐Delayed"],
      ["a scenario with a trailing newline", "User-Terminated-Delayed\n"],
    ] as const
  ).map(([what, scenario], i): AcceptedCase => ({
    name: what,
    object: builtin(`scenario-${String(i)}`, {}, { scenario }),
    reason: "UnknownScenario",
    fragments: [
      `spec.scenario: ServiceTemplate "callback" has no scenario "${scenario}"`,
      "use one of: User-Originated-Immediate, User-Originated-Delayed",
    ],
  })),
  ...(
    [
      ["an integer in words", { _ttl: "soon" }, ['option _ttl: "soon" is not an integer']],
      [
        "a boolean yes",
        { _wait_for_agent: "yes" },
        ['option _wait_for_agent: "yes"', "true or false"],
      ],
      [
        "an enum value outside the enum",
        { _call_direction: "OUTBOUND" },
        ['option _call_direction: "OUTBOUND" is not allowed', "USERORIGINATED, USERTERMINATED"],
      ],
      [
        "a YAML document smuggled into an enum value",
        { _call_direction: "USERTERMINATED\nkind: Secret\nmetadata:\n  name: x" },
        ["option _call_direction: ", "is not allowed; use one of"],
      ],
      ["a NUL character in an integer", { _ttl: "60\u0000" }, ["option _ttl: ", "not an integer"]],
      [
        "a 4096-digit integer",
        { _ttl: "9".repeat(4096) },
        [`option _ttl: "${"9".repeat(61)}..." is not an integer`],
      ],
      [
        "a desired time of month 13",
        { _desired_time: "2026-13-01T00:00:00Z" },
        ['option _desired_time: "2026-13-01T00:00:00Z" is not a date and time'],
      ],
      [
        "a duration in words",
        { _reject_future_desired_time: "1 month" },
        ['option _reject_future_desired_time: "1 month" is not a duration'],
      ],
      [
        "a JSON option that is not JSON",
        { _ixn_redirect_hints: "{" },
        ["_ixn_redirect_hints", "JSON"],
      ],
      [
        "a list entry outside the list's enum",
        { _overwritable_options: "_ors, _password" },
        ['lists "_password", which is not allowed', "list only: _ors, _target"],
      ],
      [
        "a list with an empty entry",
        { _customer_lookup_keys: "_customer_number,,_email" },
        ["option _customer_lookup_keys: ", "has an empty entry"],
      ],
      [
        "an empty mandatory option",
        { _ttl: "" },
        ["option _ttl is mandatory and cannot be empty", "set a value in spec.options"],
      ],
      [
        "four bad options at once",
        { _ttl: "soon", _media_type: "fax", _wait_for_agent: "maybe", _request_time_bucket: "7" },
        [
          "option _ttl: ",
          "option _media_type: ",
          "option _wait_for_agent: ",
          "_request_time_bucket",
        ],
      ],
      [
        "a bad option among 100 undeclared ones",
        { _ttl: "soon", ...Object.fromEntries(many(100, (i) => [`_extra_${String(i)}`, "1"])) },
        ['option _ttl: "soon" is not an integer'],
      ],
    ] as const
  ).map(([what, options, fragments], i): AcceptedCase => ({
    name: what,
    object: builtin(`options-${String(i)}`, options),
    reason: "InvalidOptions",
    fragments,
  })),
  {
    name: "a mandatory option removed",
    object: builtin("removed-mandatory", {}, { removedOptions: ["_ttl"] }),
    reason: "InvalidOptions",
    fragments: ["spec.removedOptions: option _ttl is mandatory and cannot be removed"],
  },
  // Route and children.
  {
    name: "no route where the operator has no default Gateway",
    object: service("no-route", { scenario: "User-Originated-Immediate" }),
    reason: "RouteNotAccepted",
    fragments: ["spec.route.parentRefs: ", "has no default Gateway", "spec.route.ingressClassName"],
  },
  {
    name: "a name whose ConfigMap someone else owns",
    object: builtin("conflict", {}),
    reason: "ChildConflict",
    fragments: [
      `ConfigMap ${ns}/service.conflict already exists and is not owned by any controller`,
      "the operator does not adopt it",
    ],
  },
  ...(
    [
      [
        "a pod annotation key with spaces",
        { podAnnotations: { "not a key": "x" } },
        "spec.template.annotations",
      ],
      [
        "a node selector key with a slash too many",
        { nodeSelector: { "a/b/c": "x" } },
        "nodeSelector",
      ],
      [
        "a topology spread constraint with maxSkew 0",
        {
          topologySpreadConstraints: [
            { maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" },
          ],
        },
        "topologySpreadConstraints[0].maxSkew",
      ],
      [
        "a memory request above its limit",
        { resources: { requests: { memory: "1Gi" }, limits: { memory: "256Mi" } } },
        "containers[0].resources.requests",
      ],
    ] as const
  ).map(([what, api, field], i): AcceptedCase => ({
    name: what,
    object: builtin(`apply-${String(i)}`, {}, { api }),
    reason: "ApplyFailed",
    fragments: [`The apiserver refused StatefulSet apply-${String(i)}: `, field],
  })),
  {
    name: "a route annotation key with spaces",
    object: builtin("apply-route", {}, { route: { ...route, annotations: { "not a key": "x" } } }),
    reason: "ApplyFailed",
    fragments: ["The apiserver refused Ingress apply-route: ", "metadata.annotations"],
  },
  // Works, but is probably unintended: reported in status.warnings, the service Ready.
  {
    name: "70 options the template does not declare",
    object: builtin(
      "undeclared",
      Object.fromEntries(many(70, (i) => [`_extra_${String(i)}`, "1"])),
    ),
    reason: "Warning",
    fragments: ["option _extra_0 is not declared by the template"],
  },
  {
    name: "a requested-at annotation too long to echo",
    object: service(
      "requested-at",
      { scenario: "User-Originated-Immediate", route },
      { "callback-operator.io/requested-at": "r".repeat(100) },
    ),
    reason: "Warning",
    fragments: ['metadata.annotations["callback-operator.io/requested-at"]', "at most 64"],
  },
];

// ---------------------------------------------------------------------------------------------

/** resourceVersion of every good service and every child of one, by kind/name. */
function goodState(): Map<string, string> {
  const selector = `callback-operator.io/service in (${goodNames.join(",")})`;
  const list = kubectlJson<{ items: Stored[] }>([
    "get",
    "configmaps,deployments,statefulsets,services,ingresses,httproutes",
    "-n",
    ns,
    "-l",
    selector,
  ]).items;
  const services = kubectlJson<{ items: Stored[] }>(["get", "callbackservices", "-n", ns]).items;
  const state = new Map<string, string>();
  for (const object of [...list, ...services.filter((s) => goodNames.includes(s.metadata.name))])
    state.set(`${object.kind}/${object.metadata.name}`, object.metadata.resourceVersion);
  const conflict = tryKubectl(["get", "configmap", "service.conflict", "-n", ns, "-o", "json"]);
  if (conflict.status === 0) {
    const object = JSON.parse(conflict.stdout) as Stored;
    state.set(`unowned/${object.metadata.name}`, object.metadata.resourceVersion);
  }
  return state;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readyNames(): string[] {
  return kubectlJson<{ items: Stored[] }>(["get", "callbackservices", "-n", ns])
    .items.filter((s) => condition(s, "Ready")?.status === "True")
    .map((s) => s.metadata.name);
}

function goodEvents(): number {
  return kubectlJson<{ items: { involvedObject: { name: string } }[] }>([
    "get",
    "events",
    "-n",
    ns,
  ]).items.filter((e) => goodNames.includes(e.involvedObject.name)).length;
}

function metricsUrl(): string {
  if (operator === undefined) throw new Error("The operator did not start");
  return operator.metricsUrl;
}

/** Reconciles that failed (and were retried) so far, of services and templates. */
async function reconcileErrors(): Promise<number> {
  const metrics = await scrapeMetrics(metricsUrl());
  const errors =
    /^controller_runtime_reconcile_errors_total\{controller="callbackservice"\} (\d+)/m;
  return Number(errors.exec(metrics)?.[1] ?? 0);
}

const applyList = (objects: readonly unknown[]): ReturnType<typeof tryKubectl> =>
  tryKubectl(
    ["apply", "--server-side", "--force-conflicts", "--field-manager=bad-input", "-f", "-"],
    { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) },
  );

let baseline = new Map<string, string>();
let baselineEvents = 0;
let logStart = 0;
let baselineErrors = 0;
const counts = { admission: 0, stalled: 0, warned: 0 };

beforeAll(async () => {
  installCrds();
  kubectl(["create", "namespace", ns]);
  operator = await startOperator(operatorName, ["--routing-mode=httproute", `--namespaces=${ns}`]);
  const applied = applyList(goodObjects);
  if (applied.status !== 0) throw new Error(`The good objects were refused: ${applied.stderr}`);
  // Someone else's ConfigMap, where the service "conflict" will want its own.
  kubectl(["create", "configmap", "service.conflict", "-n", ns, "--from-literal=owner=someone"]);
  const deadline = Date.now() + 90_000;
  while (readyNames().filter((n) => goodNames.includes(n)).length < goodNames.length) {
    if (Date.now() > deadline) throw new Error(`Not Ready: ${goodNames.join(", ")}`);
    acceptHttpRoutes(ns);
    await wait(500);
  }
  // Settled: two snapshots a second apart agree (the StatefulSet controller is done too).
  baseline = goodState();
  for (let settled = false; !settled;) {
    if (Date.now() > deadline) throw new Error("The good objects keep changing");
    await wait(1_000);
    const next = goodState();
    settled = JSON.stringify([...next]) === JSON.stringify([...baseline]);
    baseline = next;
  }
  baselineEvents = goodEvents();
  logStart = readFileSync(operatorLogPath(operatorName), "utf8").length;
  baselineErrors = await reconcileErrors();
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  const templates = acceptedCases
    .filter((c) => c.object["kind"] === "ServiceTemplate")
    .map((c) => (c.object["metadata"] as { name: string }).name);
  tryKubectl(["delete", "servicetemplate", goodTemplate, ...templates, "--wait=false"]);
  tryKubectl(["delete", "namespace", ns, "--wait=false"]);
  const total = counts.admission + counts.stalled + counts.warned;
  const children = [...baseline.keys()].filter((key) => !/^(CallbackService|unowned)\//.test(key));
  process.stderr.write(
    `[bad-input] ${String(total)} bad objects: ${String(counts.admission)} rejected at admission, ${String(counts.stalled)} Stalled, ${String(counts.warned)} Ready with a warning; ${String(baseline.size)} objects untouched (${String(goodNames.length)} good services, ${String(children.length)} children of theirs, someone else's ConfigMap); ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
});

describe("bad input beside ten Ready services", () => {
  it("has at least 60 distinct bad objects", () => {
    expect(admissionRejections(ns).length + acceptedCases.length).toBeGreaterThanOrEqual(60);
    const names = acceptedCases.map(
      (c) => `${String(c.object["kind"])}/${JSON.stringify(c.object["metadata"])}`,
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it("refuses each object of the admission table, naming the field and the fix", () => {
    const wrong: string[] = [];
    for (const [what, object, fragments] of admissionRejections(ns)) {
      const result = tryKubectl(
        ["apply", "--server-side", "--field-manager=bad-input", "-n", ns, "-f", "-"],
        { input: JSON.stringify(object) },
      );
      const missing = fragments.filter((f) => !result.stderr.includes(f));
      if (result.status === 0) wrong.push(`${what}: accepted`);
      else if (missing.length > 0)
        wrong.push(`${what}: ${result.stderr.trim()} lacks ${missing.join(" | ")}`);
      else counts.admission++;
    }
    expect(wrong).toEqual([]);
  });

  it("reports each accepted bad object Stalled with its reason and a message naming the field", async () => {
    const applied = applyList(acceptedCases.map((c) => c.object));
    expect(applied.stderr).toBe("");
    const outcome = (c: AcceptedCase, stored: Stored | undefined): string | undefined => {
      if (stored === undefined) return "not found";
      if (stored.status?.observedGeneration !== stored.metadata.generation) return "not observed";
      const ready = condition(stored, "Ready");
      const stalled = condition(stored, "Stalled");
      if (c.reason === "Warning") {
        if (ready?.status !== "True") return `Ready is ${JSON.stringify(ready)}`;
        const warnings = stored.status?.warnings ?? [];
        if (warnings.length > 64) return `${String(warnings.length)} warnings`;
        const warning = warnings.find((w) => c.fragments.every((f) => w.includes(f)));
        return warning === undefined ? `no such warning in ${JSON.stringify(warnings)}` : undefined;
      }
      if (stalled?.status !== "True" || stalled.reason !== c.reason)
        return `Stalled is ${JSON.stringify(stalled)}`;
      if (ready?.status !== "False" || ready.reason !== c.reason)
        return `Ready is ${JSON.stringify(ready)}`;
      const missing = c.fragments.filter((f) => !stalled.message.includes(f));
      if (missing.length > 0)
        return `the message ${JSON.stringify(stalled.message.slice(0, 2000))} lacks ${missing.join(" | ")}`;
      return undefined;
    };
    const check = (): string[] => {
      const stored = [
        ...kubectlJson<{ items: Stored[] }>(["get", "callbackservices", "-n", ns]).items,
        ...kubectlJson<{ items: Stored[] }>(["get", "servicetemplates"]).items,
      ];
      return acceptedCases.flatMap((c) => {
        const { name } = c.object["metadata"] as { name: string };
        const found = stored.find((s) => s.kind === c.object["kind"] && s.metadata.name === name);
        const problem = outcome(c, found);
        return problem === undefined ? [] : [`${c.name} (${name}): ${problem}`];
      });
    };
    const deadline = Date.now() + 45_000;
    let problems = check();
    while (problems.length > 0 && Date.now() < deadline) {
      await wait(500);
      problems = check();
    }
    expect(problems).toEqual([]);
    counts.warned = acceptedCases.filter((c) => c.reason === "Warning").length;
    counts.stalled = acceptedCases.length - counts.warned;
  });

  it("leaves every good service and child untouched, and the operator ready", async () => {
    // Each good service, its ConfigMap, StatefulSet, Service and route; someone else's ConfigMap.
    expect(baseline.size).toBe(goodNames.length * 5 + 1);
    expect(goodState()).toEqual(baseline);
    expect(
      readyNames()
        .filter((n) => goodNames.includes(n))
        .sort(),
    ).toEqual([...goodNames].sort());
    expect(goodEvents()).toBe(baselineEvents);
    const log = readFileSync(operatorLogPath(operatorName), "utf8").slice(logStart);
    const aboutGood = log
      .split("\n")
      .filter((line) => goodNames.some((n) => line.includes(`"${ns}/${n}"`)));
    expect(aboutGood).toEqual([]);
    expect((await fetch(metricsUrl().replace("/metrics", "/readyz"))).status).toBe(200);
    // Bad input is terminal: reported once, never retried as if it were a transient failure.
    expect(await reconcileErrors(), "reconciles that failed and were retried").toBe(baselineErrors);
  });
});
