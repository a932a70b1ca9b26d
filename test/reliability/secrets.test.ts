// Secrets: the operator never reads one. Services name Secrets (the Basic-auth password, the
// PostgreSQL URL, the operator's default database, the admin credentials) whose values are random; once they are
// reconciled, Ready or Stalled, no value (nor its base64) appears in the operator's debug log, the
// namespace's Events, the services' status, any ConfigMap, the Deployments (which name each Secret
// and key), the other objects of the namespace, or the metrics. The chart's RBAC grants nothing on
// Secrets, and the operator, run with exactly those rules, was refused nothing: a request for a
// Secret would have been refused.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  mintServiceAccountKubeconfig,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";
import { helmPath, helmTemplate } from "../support/helm.ts";
import { operatorLogPath, spawnOperator, type OperatorProcess } from "../support/operator.ts";
import { scrapeMetrics, waitOk } from "../support/operator-process.ts";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

const release = uniqueName("secrets");
const fullname = `${release}-callback-operator`;
const operatorName = `secrets-${release}`;
const random = (): string => randomBytes(18).toString("base64url");
const password = `pw-${random()}`;
const databasePassword = `db-${random()}`;
const databaseUrl = `postgres://callbacks:${databasePassword}@db.invalid:5432/callbacks`;
const defaultDatabasePassword = `default-${random()}`;
const defaultDatabaseUrl = `postgres://callbacks:${defaultDatabasePassword}@db.invalid:5432/default`;
const adminUser = `admin-${random()}`;
const adminPassword = `admin-pw-${random()}`;
/** Every secret value, and how it would look if an object holding it were dumped. */
const needles = [
  password,
  databaseUrl,
  databasePassword,
  defaultDatabaseUrl,
  defaultDatabasePassword,
  adminUser,
  adminPassword,
].flatMap((value) => [value, Buffer.from(value).toString("base64")]);

let ns = "";
let releaseNs = "";
let credentials = "";
let chartDocs: Manifest[] = [];
let operator: OperatorProcess | undefined;
let forbiddenAtStart = 0;

const apply = (object: unknown, namespace?: string): void => {
  kubectl(
    [
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=secrets-test",
      ...(namespace === undefined ? [] : ["-n", namespace]),
      "-f",
      "-",
    ],
    { input: stringify(object, { version: "1.1" }) },
  );
};

function service(name: string, spec: Record<string, unknown>): unknown {
  return {
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name },
    spec,
  };
}

const secretRefs = {
  databaseSecretRef: { name: "callbacks-db", key: "url" },
  passwordSecretRef: { name: "callbacks-auth", key: "password" },
};
const options = { _route_point: "8999@SIP_Switch", username: "gms-client" };

/** Requests of the operator the apiserver answered 403. */
async function forbiddenRequests(): Promise<number> {
  if (operator === undefined) throw new Error("The operator did not start");
  const metrics = await scrapeMetrics(operator.metricsUrl);
  let count = 0;
  for (const match of metrics.matchAll(/^rest_client_requests_total\{([^}]*)\} (\d+)/gm)) {
    if ((match[1] ?? "").includes('code="403"')) count += Number(match[2]);
  }
  return count;
}

const rbacKinds = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

async function renderChart(extra: readonly string[] = []): Promise<Manifest[]> {
  return parseAllDocuments(
    await helmTemplate(release, releaseNs, ["--set", "crds.enabled=false", ...extra]),
  )
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

beforeAll(async () => {
  await helmPath(); // built on first use: minutes on a cold cache
  installCrds();
  ns = createNamespace("secrets");
  releaseNs = createNamespace("secrets-release");
  chartDocs = await renderChart();
  for (const doc of chartDocs.filter((d) => rbacKinds.includes(d.kind))) apply(doc);
  credentials = await mintServiceAccountKubeconfig(releaseNs, fullname);
  for (const [name, key, value] of [
    ["callbacks-auth", "password", password],
    ["callbacks-db", "url", databaseUrl],
    ["callbacks-default-db", "url", defaultDatabaseUrl],
  ] as const) {
    kubectl(["create", "secret", "generic", name, "-n", ns, `--from-literal=${key}=${value}`]);
  }
  kubectl([
    "create",
    "secret",
    "generic",
    "callbacks-admin",
    "-n",
    ns,
    `--from-literal=username=${adminUser}`,
    `--from-literal=password=${adminPassword}`,
  ]);
  operator = await spawnOperator(
    operatorName,
    [
      "--leader-elect=false",
      `--namespaces=${ns}`,
      "--log-level=debug",
      "--default-database-secret=callbacks-default-db",
      "--admin-credentials-secret=callbacks-admin",
    ],
    { kubeconfig: credentials },
  );
  await Promise.race([waitOk(operator.metricsUrl.replace("/metrics", "/readyz")), operator.exited]);
  forbiddenAtStart = await forbiddenRequests();
}, 900_000);

afterAll(async () => {
  if (operator !== undefined && operator.child.exitCode === null) {
    const exit = new Promise((resolve) => operator?.child.once("exit", resolve));
    operator.child.kill("SIGTERM");
    await exit;
  }
  tryKubectl([
    "delete",
    "clusterrole,clusterrolebinding",
    fullname,
    `${fullname}-view`,
    `${fullname}-edit`,
    "--ignore-not-found",
  ]);
  tryKubectl(["delete", "namespace", ns, releaseNs, "--wait=false"]);
});

describe("Secrets", () => {
  it("the chart grants the operator no access to Secrets, whatever the values", async () => {
    const variants = [
      chartDocs,
      await renderChart(["--set", `watchNamespaces={${ns}}`]),
      await renderChart([
        "--set",
        "callbackApi.database.secretName=callbacks-default-db",
        "--set",
        `callbackApi.database.url=${defaultDatabaseUrl}`,
      ]),
    ];
    for (const docs of variants) {
      const rules = docs.flatMap((d) => d.rules ?? []);
      expect(rules.length).toBeGreaterThan(0);
      const onSecrets = rules.filter((r) =>
        (r.resources ?? []).some((resource) => resource === "secrets" || resource === "*"),
      );
      expect(onSecrets).toEqual([]);
    }
    for (const verb of ["get", "list", "watch"]) {
      const answer = tryKubectl(["auth", "can-i", verb, "secrets", "-n", ns], {
        kubeconfig: credentials,
      });
      expect(answer.stdout.trim(), `may the operator ${verb} secrets?`).toBe("no");
    }
  });

  it("a password pasted into spec.options is refused without being echoed", () => {
    const result = tryKubectl(
      ["apply", "--server-side", "--field-manager=secrets-test", "-n", ns, "-f", "-"],
      {
        input: JSON.stringify(
          service("pasted", { scenario: "User-Terminated-Immediate", options: { password } }),
        ),
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("spec.options.password");
    expect(result.stderr).not.toContain(password);
  });

  it("no secret value appears anywhere the operator writes, and it never asked for a Secret", async () => {
    const started = performance.now();
    // Ready with both Secrets; Ready with the operator's default database; Stalled, with an Event.
    apply(
      service("with-secrets", {
        scenario: "User-Terminated-Immediate",
        options,
        api: { replicas: 2, ...secretRefs },
      }),
      ns,
    );
    apply(
      service("default-db", {
        scenario: "User-Terminated-Immediate",
        options: { _route_point: "1@S" },
      }),
      ns,
    );
    apply(
      service("stalled", {
        scenario: "User-Terminated-Immediate",
        options: { ...options, _ttl: "soon" },
        api: secretRefs,
      }),
      ns,
    );
    for (const name of ["with-secrets", "default-db"]) {
      kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", `cbs/${name}`]);
    }
    kubectl(["wait", "-n", ns, "--for=condition=Stalled", "--timeout=60s", "cbs/stalled"]);
    // More reconciles: a changed option rolls the Deployment; a forced reconcile.
    apply(
      service("with-secrets", {
        scenario: "User-Terminated-Immediate",
        options: { ...options, _ttl: "600" },
        api: { replicas: 2, ...secretRefs },
      }),
      ns,
    );
    kubectl(["annotate", "-n", ns, "cbs", "with-secrets", "callback-operator.io/requested-at=now"]);
    await expect
      .poll(
        () =>
          kubectlJson<{ status?: { lastHandledReconcileAt?: string } }>([
            "get",
            "-n",
            ns,
            "cbs",
            "with-secrets",
          ]).status?.lastHandledReconcileAt,
        { timeout: 60_000, interval: 250 },
      )
      .toBe("now");
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", "cbs/with-secrets"]);

    // The Deployments name the Secrets and keys; the values stay in the Secrets.
    const container = (name: string): unknown =>
      kubectlJson<{ spec: { template: { spec: { containers: unknown[] } } } }>([
        "get",
        "-n",
        ns,
        "deployment",
        name,
      ]).spec.template.spec.containers[0];
    expect(container("with-secrets")).toMatchObject({
      env: [
        {
          name: "CALLBACK_API_DATABASE_URL",
          valueFrom: { secretKeyRef: { name: "callbacks-db", key: "url" } },
        },
        {
          name: "CALLBACK_API_ADMIN_USERNAME",
          valueFrom: { secretKeyRef: { name: "callbacks-admin", key: "username" } },
        },
      ],
    });
    expect(container("default-db")).toMatchObject({
      env: [
        { valueFrom: { secretKeyRef: { name: "callbacks-default-db", key: "url" } } },
        { valueFrom: { secretKeyRef: { name: "callbacks-admin", key: "username" } } },
      ],
    });
    const volumes = kubectlJson<{ spec: { template: { spec: { volumes: unknown[] } } } }>([
      "get",
      "-n",
      ns,
      "deployment",
      "with-secrets",
    ]).spec.template.spec.volumes;
    expect(volumes).toContainEqual({
      name: "config",
      projected: {
        defaultMode: 0o644,
        sources: [
          { configMap: { name: "service.with-secrets" } },
          { secret: { name: "callbacks-auth", items: [{ key: "password", path: "password" }] } },
        ],
      },
    });
    expect(volumes).toContainEqual({
      name: "admin",
      secret: {
        defaultMode: 0o644,
        secretName: "callbacks-admin",
        items: [{ key: "password", path: "password" }],
      },
    });

    // Nowhere a value.
    const operatorLog = readFileSync(operatorLogPath(operatorName), "utf8");
    const places: Record<string, string> = {
      "the operator's log": operatorLog,
      "the Events": kubectl(["get", "events", "-n", ns, "-o", "json"]),
      "the CallbackServices (status included)": kubectl([
        "get",
        "callbackservices",
        "-n",
        ns,
        "-o",
        "json",
      ]),
      "the ConfigMaps": kubectl(["get", "configmaps", "-n", ns, "-o", "json"]),
      "the Deployments, ReplicaSets, Pods, Services": kubectl([
        "get",
        "all",
        "-n",
        ns,
        "-o",
        "json",
      ]),
      "the Ingresses": kubectl(["get", "ingresses", "-n", ns, "-o", "json"]),
      "the ServiceTemplates": kubectl(["get", "servicetemplates", "-o", "json"]),
      "the operator's metrics": await scrapeMetrics(operator?.metricsUrl ?? ""),
    };
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      needles.filter((needle) => text.includes(needle)).map((needle) => `${place}: ${needle}`),
    );
    expect(leaks).toEqual([]);
    // The search would find them: the Secrets hold each value, base64-encoded.
    const secrets = kubectl(["get", "secrets", "-n", ns, "-o", "json"]);
    for (const value of [password, databaseUrl, defaultDatabaseUrl])
      expect(secrets).toContain(Buffer.from(value).toString("base64"));
    const events = JSON.parse(places["the Events"] ?? "{}") as { items: { reason: string }[] };
    expect(events.items.map((e) => e.reason)).toContain("InvalidOptions");

    // The operator, with exactly the chart's rules, was refused nothing: a request for a Secret
    // would have been (403), and its debug log names no Secret path.
    expect(await forbiddenRequests()).toBe(forbiddenAtStart);
    expect(forbiddenAtStart).toBe(0);
    expect(operatorLog).not.toMatch(/forbidden|\/secrets/);
    process.stderr.write(
      `[secrets] 3 Secrets named by 3 services, ${String(needles.length)} strings searched in ${String(Object.keys(places).length)} places: none found; 0 requests refused; ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});
