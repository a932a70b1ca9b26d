// Least privilege, shown on the real apiserver: the operator, run with a token of the chart's
// ServiceAccount bound to exactly the chart's rules (rendered by helm template), reconciles the
// examples to Ready; with any one rule removed, the apiserver refuses it something and a user
// sees the damage (services not Ready, a template without status, no Events). So no rule is
// superfluous.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  mintServiceAccountKubeconfig,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";
import {
  acceptHttpRoutes,
  applyExamples,
  exampleNames,
  readyExamples,
  waitExamplesReady,
} from "../support/examples.ts";
import { helmPath, helmTemplate } from "../support/helm.ts";
import { operatorLogPath, spawnOperator } from "../support/operator.ts";

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const release = uniqueName("rbac");
const fullname = `${release}-callback-operator`;
let releaseNs = "";
let credentials = "";
let clusterRole: Manifest | undefined;
let leaderRole: Manifest | undefined;
const templateFile = path.join(import.meta.dirname, "../../dist/callback-template.yaml");

/** What a user sees after the operator ran for a while. */
interface Outcome {
  readonly ready: string[];
  readonly templateReady: boolean;
  readonly events: number;
  readonly exited: boolean;
  /**
   * Where the apiserver refused the operator something: its log lines (failed status writes,
   * lists, events are retried and logged) and its services' status messages (a refused child
   * apply is not retried: the service is Stalled with the apiserver's message, and not logged).
   */
  readonly forbidden: string[];
}

function apply(object: unknown): void {
  kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=rbac-test", "-f", "-"], {
    input: stringify(object),
  });
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the operator with the ServiceAccount's token, applies the examples and a template of
 * its own into fresh places, and watches for `windowMs` (or until everything is healthy).
 */
async function run(label: string, windowMs: number): Promise<Outcome> {
  const ns = createNamespace("rbac-examples");
  const template = uniqueName("rbac-template");
  const templateObject = parse(readFileSync(templateFile, "utf8")) as {
    metadata: { name: string };
  };
  apply({ ...templateObject, metadata: { ...templateObject.metadata, name: template } });
  // Every run starts without a Lease, so a missing create right shows.
  tryKubectl(["delete", "lease", fullname, "-n", releaseNs, "--ignore-not-found"]);
  const name = `rbac-${release}-${label}`;
  const operator = await spawnOperator(
    name,
    [
      "--leader-elect=true",
      `--leader-election-namespace=${releaseNs}`,
      `--leader-election-id=${fullname}`,
    ],
    { kubeconfig: credentials },
  );
  const logStart = readFileSync(operatorLogPath(name), "utf8").length;
  applyExamples(ns);
  const observe = (): Omit<Outcome, "forbidden"> => {
    acceptHttpRoutes(ns);
    const events = kubectlJson<{ items: { reportingComponent?: string }[] }>([
      "get",
      "events",
      "-n",
      ns,
    ]).items.filter((e) => e.reportingComponent === "callback-operator").length;
    const status = kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      "get",
      "servicetemplate",
      template,
    ]).status;
    return {
      ready: readyExamples(ns),
      templateReady:
        status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
      events,
      exited: operator.child.exitCode !== null,
    };
  };
  let outcome = observe();
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline) {
    outcome = observe();
    if (healthy(outcome) || outcome.exited) break;
    await wait(250);
  }
  if (operator.child.exitCode === null) {
    const exit = new Promise((resolve) => operator.child.once("exit", resolve));
    operator.child.kill("SIGTERM");
    // An operator whose caches never synced may not finish its shutdown (reported, not a
    // subject of this test): do not wait for it forever.
    const timer = setTimeout(() => operator.child.kill("SIGKILL"), 5_000);
    await exit;
    clearTimeout(timer);
  }
  const statusMessages = kubectlJson<{
    items: { status?: { conditions?: { message?: string }[] } }[];
  }>(["get", "callbackservices", "-n", ns]).items.flatMap((s) =>
    (s.status?.conditions ?? []).map((c) => c.message ?? ""),
  );
  const forbidden = [
    ...readFileSync(operatorLogPath(name), "utf8").slice(logStart).split("\n"),
    ...statusMessages,
    // Authorization refusals only: RBAC's "is forbidden: User \"…\" cannot …" and the owner
    // references check's "is forbidden: cannot set blockOwnerDeletion …". A namespace being
    // deleted also answers "forbidden" (no new events in it), which is nobody's missing rule.
  ].filter((line) => /is forbidden: (User \\?"|cannot set blockOwnerDeletion)/.test(line));
  kubectl(["delete", "namespace", ns, "--wait=false"]);
  kubectl(["delete", "servicetemplate", template, "--wait=false"]);
  return { ...outcome, forbidden };
}

/**
 * Waits until the apiserver's authorizer answers for the ServiceAccount as `expected` on the rule's
 * first verb and resource. RBAC is evaluated from an informer cache: right after a Role changes,
 * the old rules can still apply for a moment, and an operator started in that moment does its
 * one-time work (creating children) with rights the test meant to remove.
 */
async function waitForRbac(rule: Rule, expected: "yes" | "no"): Promise<void> {
  const [resource = "", subresource] = (rule.resources[0] ?? "").split("/");
  const group = rule.apiGroups[0] ?? "";
  const args = [
    "auth",
    "can-i",
    rule.verbs[0] ?? "get",
    // A rule limited to named objects (the leader Lease) answers only for such a name.
    `${group === "" ? resource : `${resource}.${group}`}${rule.resourceNames?.[0] === undefined ? "" : `/${rule.resourceNames[0]}`}`,
    ...(subresource === undefined ? [] : [`--subresource=${subresource}`]),
    "-n",
    releaseNs,
  ];
  const deadline = Date.now() + 30_000;
  let answer = "";
  while (Date.now() < deadline) {
    answer = tryKubectl(args, { kubeconfig: credentials }).stdout.trim();
    if (answer === expected) return;
    await wait(100);
  }
  throw new Error(`kubectl ${args.join(" ")} still says "${answer}" after 30 s`);
}

const healthy = (o: Omit<Outcome, "forbidden">): boolean =>
  o.ready.length === exampleNames.length && o.templateReady && o.events > 0 && !o.exited;

beforeAll(async () => {
  await helmPath();
  installCrds();
  releaseNs = createNamespace("rbac");
  const docs = parseAllDocuments(
    await helmTemplate(release, releaseNs, ["--set", "crds.enabled=false"]),
  )
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  const rbacKinds = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
  for (const doc of docs.filter((d) => rbacKinds.includes(d.kind))) apply(doc);
  const byName = (kind: string, name: string): Manifest => {
    const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
    if (found === undefined) throw new Error(`The chart renders no ${kind} ${name}`);
    return found;
  };
  clusterRole = byName("ClusterRole", fullname);
  leaderRole = byName("Role", `${fullname}-leader-election`);
  credentials = await mintServiceAccountKubeconfig(releaseNs, fullname);
  // The examples use the built-in template; whoever runs first creates it (full rights).
  if (tryKubectl(["get", "servicetemplate", "callback"]).status !== 0) {
    const operator = await spawnOperator(`rbac-${release}-bootstrap`, ["--leader-elect=false"], {
      kubeconfig: credentials,
    });
    kubectl(["wait", "--for=create", "servicetemplate/callback", "--timeout=60s"]);
    const exit = new Promise((resolve) => operator.child.once("exit", resolve));
    operator.child.kill("SIGTERM");
    await exit;
  }
}, 900_000);

afterAll(() => {
  // Restore the full rules for anyone inspecting the cluster after a failure.
  if (clusterRole !== undefined) apply(clusterRole);
  if (leaderRole !== undefined) apply(leaderRole);
  tryKubectl(["delete", "clusterrolebinding", fullname, "--ignore-not-found"]);
  tryKubectl(["delete", "clusterrole", fullname, "--ignore-not-found"]);
  tryKubectl([
    "delete",
    "clusterrole",
    `${fullname}-view`,
    `${fullname}-edit`,
    "--ignore-not-found",
  ]);
});

type Symptom = "not-ready" | "template-not-ready" | "no-events";

/** What a user sees when the rule for these resources is missing. */
const expectedSymptom: Record<string, Symptom> = {
  servicetemplates: "not-ready",
  "servicetemplates/status": "template-not-ready",
  callbackservices: "not-ready",
  "callbackservices/status": "not-ready",
  // Under OwnerReferencesPermissionEnforcement (on in the test plane, as on OpenShift), children
  // with blockOwnerDeletion are refused without it.
  "callbackservices/finalizers": "not-ready",
  events: "no-events",
  configmaps: "not-ready",
  services: "not-ready",
  deployments: "not-ready",
  statefulsets: "not-ready",
  ingresses: "not-ready",
  httproutes: "not-ready",
  leases: "not-ready",
};

/**
 * How the apiserver words a refusal of the resource in the operator's (JSON) log. The owner-reference
 * admission plug-in names no resource: it refuses the child "if an ownerReference refers to a
 * resource you can't set finalizers on".
 */
function refusalOf(resource: string): RegExp {
  // Log lines are JSON (quotes escaped); status messages are plain text.
  return resource.endsWith("/finalizers")
    ? /can't set finalizers on/
    : new RegExp(`resource \\\\?"${resource.replace("/", "\\/")}\\\\?"`);
}

function shows(symptom: Symptom, outcome: Outcome): boolean {
  if (symptom === "not-ready") return outcome.ready.length < exampleNames.length;
  if (symptom === "template-not-ready") return !outcome.templateReady;
  return outcome.events === 0;
}

describe("the chart's RBAC", () => {
  it("is enough: the examples become Ready, the template too, and Events are recorded", async () => {
    const started = performance.now();
    const outcome = await run("full", 60_000);
    expect(outcome.forbidden).toEqual([]);
    expect(outcome.ready).toEqual([...exampleNames]);
    expect(outcome.templateReady).toBe(true);
    expect(outcome.events).toBeGreaterThan(0);
    process.stderr.write(
      `[install-rbac] full rules: healthy in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });

  it("has no superfluous rule: removing any one breaks something a user sees", async () => {
    const ablations = [clusterRole, leaderRole].flatMap((role) =>
      role === undefined ? [] : (role.rules ?? []).map((_, index) => ({ role, index })),
    );
    expect(ablations).toHaveLength(14);
    const report: string[] = [];
    for (const { role, index } of ablations) {
      const rule = (role.rules ?? [])[index] as Rule;
      const label = `${rule.resources.join(",")}[${rule.verbs.join(",")}]`;
      apply({ ...role, rules: (role.rules ?? []).filter((_, i) => i !== index) });
      let outcome: Outcome;
      try {
        await waitForRbac(rule, "no");
        outcome = await run(`${role.kind}-${String(index)}`, 10_000);
      } finally {
        apply(role);
      }
      await waitForRbac(rule, "yes");
      const resource = rule.resources[0] ?? "";
      const symptom = expectedSymptom[resource];
      expect(symptom, `no expected symptom for ${resource}`).toBeDefined();
      // The apiserver refused the operator something this rule grants...
      const refused = outcome.forbidden.filter((line) =>
        rule.resources.some((r) => refusalOf(r).test(line)),
      );
      expect(refused, `${label}: the operator's log shows no refusal`).not.toEqual([]);
      // ...and a user sees it.
      expect(shows(symptom as Symptom, outcome), `${label}: expected ${String(symptom)}`).toBe(
        true,
      );
      const verb =
        /cannot (\w+) (?:resource|blockOwnerDeletion)/.exec(refused[0] ?? "")?.[1] ?? "?";
      report.push(
        `without ${label}: refused "${verb}"; ${String(symptom)} (Ready: ${String(outcome.ready.length)}/${String(exampleNames.length)}, template Ready: ${String(outcome.templateReady)}, events: ${String(outcome.events)}${outcome.exited ? ", operator exited" : ""})`,
      );
    }
    process.stderr.write(`[install-rbac]\n  ${report.join("\n  ")}\n`);
  }, 600_000);

  it("needs update on callbackservices/finalizers to point children at their service with blockOwnerDeletion", async () => {
    const ns = createNamespace("rbac-owner");
    kubectl(["apply", "--server-side", "-n", ns, "-f", "-"], {
      input: stringify({
        apiVersion: "callback-operator.io/v1alpha1",
        kind: "CallbackService",
        metadata: { name: "owner" },
        spec: {
          scenario: "User-Terminated-Delayed",
          suspend: true,
          options: { _route_point: "8999@SIP_Switch" },
        },
      }),
    });
    const uid = kubectlJson<{ metadata: { uid: string } }>(["get", "cbs", "-n", ns, "owner"])
      .metadata.uid;
    const child = (name: string) =>
      stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name,
          namespace: ns,
          ownerReferences: [
            {
              apiVersion: "callback-operator.io/v1alpha1",
              kind: "CallbackService",
              name: "owner",
              uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
      });
    const asOperator = (name: string) =>
      tryKubectl(["apply", "--server-side", "--field-manager=callback-operator", "-f", "-"], {
        input: child(name),
        kubeconfig: credentials,
      });
    const role = clusterRole;
    if (role === undefined) throw new Error("no ClusterRole");
    expect(asOperator("with-rule").status).toBe(0);
    apply({
      ...role,
      rules: (role.rules ?? []).filter((r) => !r.resources.includes("callbackservices/finalizers")),
    });
    const finalizers = (role.rules ?? []).find((r) =>
      r.resources.includes("callbackservices/finalizers"),
    );
    if (finalizers === undefined) throw new Error("the ClusterRole has no finalizers rule");
    try {
      await waitForRbac(finalizers, "no");
      const refused = asOperator("without-rule");
      expect(refused.stderr).toContain("can't set finalizers on");
    } finally {
      apply(role);
    }
    await waitForRbac(finalizers, "yes");
  });
});

describe("the chart's RBAC with watchNamespaces", () => {
  it("is enough in the watched namespace (Roles), and grants nothing elsewhere", async () => {
    const scoped = uniqueName("rbac-scoped");
    const scopedName = `${scoped}-callback-operator`;
    const watched = createNamespace("rbac-watched");
    const other = createNamespace("rbac-other");
    const docs = parseAllDocuments(
      await helmTemplate(scoped, releaseNs, [
        "--set",
        "crds.enabled=false",
        "--set",
        `watchNamespaces={${watched}}`,
      ]),
    )
      .map((d) => d.toJS() as Manifest | null)
      .filter((d): d is Manifest => d !== null);
    const rbacKinds = [
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Role",
      "RoleBinding",
    ];
    for (const doc of docs.filter((d) => rbacKinds.includes(d.kind))) apply(doc);
    // The operator's Role in the watched namespace (the console has one of its own there).
    expect(
      docs.filter(
        (d) =>
          d.kind === "Role" && d.metadata.namespace === watched && d.metadata.name === scopedName,
      ),
    ).toHaveLength(1);
    const token = await mintServiceAccountKubeconfig(releaseNs, scopedName);
    const operator = await spawnOperator(
      `rbac-${scoped}`,
      [
        `--namespaces=${watched}`,
        "--leader-elect=true",
        `--leader-election-namespace=${releaseNs}`,
        `--leader-election-id=${scopedName}`,
      ],
      { kubeconfig: token },
    );
    try {
      applyExamples(watched);
      await waitExamplesReady(watched, 60_000);
      // The same ServiceAccount may not touch another namespace.
      const denied = tryKubectl(["auth", "can-i", "patch", "configmaps", "-n", other], {
        kubeconfig: token,
      });
      expect(denied.stdout.trim()).toBe("no");
      const allowed = tryKubectl(["auth", "can-i", "patch", "configmaps", "-n", watched], {
        kubeconfig: token,
      });
      expect(allowed.stdout.trim()).toBe("yes");
    } finally {
      const exit = new Promise((resolve) => operator.child.once("exit", resolve));
      operator.child.kill("SIGTERM");
      await exit;
      tryKubectl(["delete", "clusterrole,clusterrolebinding", scopedName, "--ignore-not-found"]);
      tryKubectl([
        "delete",
        "clusterrole",
        `${scopedName}-view`,
        `${scopedName}-edit`,
        "--ignore-not-found",
      ]);
    }
  });
});
