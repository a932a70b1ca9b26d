// The Helm chart without a cluster: lint, a closed values schema, every value documented, each
// toggle rendering what it says, values mapped to real operator flags, and dist/install.yaml
// identical to the chart's rendering (docs/adr/0030-install-yaml-rendered-by-helm.md).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { operatorFlags, operatorOptions } from "../../src/cli/operator.ts";
import { kubeconfigPath } from "../support/cluster.ts";
import {
  chartDir,
  generateInstallCommand,
  helmPath,
  helmTemplate,
  installManifestPath,
  renderInstallManifest,
  tryHelm,
} from "../support/helm.ts";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  spec?: Record<string, unknown>;
}

interface Container {
  args: string[];
  env?: { name: string }[];
  securityContext: Record<string, unknown>;
}

function documents(yaml: string): Manifest[] {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

async function render(...sets: string[]): Promise<Manifest[]> {
  return documents(
    await helmTemplate(
      "cbo",
      "cbo-system",
      sets.flatMap((set) => ["--set", set]),
    ),
  );
}

const find = (docs: Manifest[], kind: string, name?: string): Manifest[] =>
  docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));

function operatorContainer(docs: Manifest[]): Container {
  const [deployment] = find(docs, "Deployment");
  const spec = deployment?.spec as { template: { spec: { containers: Container[] } } };
  const container = spec.template.spec.containers[0];
  if (container === undefined) throw new Error("The chart renders no operator container");
  return container;
}

beforeAll(async () => {
  await helmPath(); // builds Helm on a cold cache (minutes), outside any test's timeout
}, 900_000);

describe("the chart", () => {
  it("passes helm lint --strict with default values and with every toggle flipped", async () => {
    for (const sets of [
      [],
      [
        "watchNamespaces={a,b}",
        "builtinTemplate.enabled=false",
        "crds.enabled=false",
        "replicaCount=1",
        "metrics.serviceMonitor.enabled=true",
        "rbac.aggregateToDefaultRoles=false",
      ],
    ]) {
      const result = await tryHelm([
        "lint",
        "--strict",
        chartDir,
        ...sets.flatMap((s) => ["--set", s]),
      ]);
      expect(result.stderr + result.stdout).toContain("0 chart(s) failed");
      expect(result.status).toBe(0);
    }
  });

  it("refuses a misspelt value and a value out of range (values.schema.json is closed)", async () => {
    const typo = await tryHelm(["template", "x", chartDir, "--set", "replicaCnt=3"]);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/additional properties 'replicaCnt' not allowed/i);
    const mode = await tryHelm(["template", "x", chartDir, "--set", "routing.mode=nodeport"]);
    expect(mode.status).not.toBe(0);
    expect(mode.stderr).toMatch(/routing.mode|mode/);
    const nested = await tryHelm(["template", "x", chartDir, "--set", "crds.keep=false"]);
    expect(nested.status).not.toBe(0);
  });

  it("documents every value in values.yaml with a comment above it", async () => {
    const lines = (await readFile(path.join(chartDir, "values.yaml"), "utf8")).split("\n");
    const undocumented: string[] = [];
    // A key is documented by the comment right above it; the keys inside a documented value
    // (the default resources, say) are covered by it; a section only groups documented keys.
    const documented: { indent: number; documented: boolean }[] = [];
    lines.forEach((line, i) => {
      const key = /^(\s*)([A-Za-z]\w*):/.exec(line);
      if (key === null) return;
      const indent = key[1]?.length ?? 0;
      while ((documented.at(-1)?.indent ?? -1) >= indent) documented.pop();
      const byParent = documented.at(-1)?.documented ?? false;
      const own = (lines[i - 1]?.trim() ?? "").startsWith("#");
      const isSection = line.trimEnd().endsWith(":");
      if (!own && !byParent && !isSection) undocumented.push(`${String(i + 1)}: ${line}`);
      documented.push({ indent, documented: own || byParent });
    });
    expect(undocumented).toEqual([]);
  });

  it("installs the CRDs as templates kept on uninstall, behind crds.enabled", async () => {
    const crds = find(await render(), "CustomResourceDefinition");
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "callbackservices.callback-operator.io",
      "consolepermissions.callback-operator.io",
      "servicetemplates.callback-operator.io",
    ]);
    for (const crd of crds) {
      expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
      expect(crd.metadata.labels?.["app.kubernetes.io/instance"]).toBe("cbo");
    }
    expect(find(await render("crds.enabled=false"), "CustomResourceDefinition")).toEqual([]);
  });

  it("grants cluster-wide rules with a ClusterRole when it watches every namespace", async () => {
    const docs = await render();
    const [role] = find(docs, "ClusterRole", "cbo-callback-operator");
    const resources = role?.rules?.flatMap((r) => r.resources) ?? [];
    expect(resources).toEqual(
      expect.arrayContaining(["servicetemplates", "callbackservices", "deployments", "httproutes"]),
    );
    expect(find(docs, "Role").map((r) => r.metadata.name)).toEqual([
      "cbo-callback-operator-leader-election",
    ]);
    // No Secret, ever: the Callback API pods reference theirs by name.
    expect(resources).not.toContain("secrets");
    expect(JSON.stringify(docs.flatMap((d) => d.rules ?? []))).not.toContain('"*"');
  });

  it("grants Roles per namespace, and only ServiceTemplates cluster-wide, with watchNamespaces", async () => {
    const docs = await render("watchNamespaces={team-a,team-b}");
    const [clusterRole] = find(docs, "ClusterRole", "cbo-callback-operator");
    expect(clusterRole?.rules?.flatMap((r) => r.resources)).toEqual([
      "servicetemplates",
      "servicetemplates/status",
    ]);
    const roles = find(docs, "Role", "cbo-callback-operator");
    expect(roles.map((r) => r.metadata.namespace)).toEqual(["team-a", "team-b"]);
    expect(roles[0]?.rules?.flatMap((r) => r.resources)).toContain("callbackservices");
    const bindings = find(docs, "RoleBinding", "cbo-callback-operator");
    expect(bindings.map((b) => b.metadata.namespace)).toEqual(["team-a", "team-b"]);
    expect(operatorContainer(docs).args).toContain("--namespaces=team-a,team-b");
  });

  it("drops the get, create and patch rights on ServiceTemplates when the built-in templates are off", async () => {
    const on = find(await render(), "ClusterRole", "cbo-callback-operator")[0];
    const off = find(
      await render("builtinTemplate.enabled=false"),
      "ClusterRole",
      "cbo-callback-operator",
    )[0];
    const templateVerbs = (role?: Manifest): string[] =>
      role?.rules?.find((r) => r.resources.includes("servicetemplates"))?.verbs ?? [];
    expect(templateVerbs(on)).toEqual(["list", "watch", "get", "create", "patch"]);
    expect(templateVerbs(off)).toEqual(["list", "watch"]);
  });

  it("aggregates read access into view and write access into edit and admin", async () => {
    const docs = await render();
    const [view] = find(docs, "ClusterRole", "cbo-callback-operator-view");
    const [edit] = find(docs, "ClusterRole", "cbo-callback-operator-edit");
    expect(view?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"]).toBe("true");
    expect(view?.rules?.[0]?.verbs).toEqual(["get", "list", "watch"]);
    expect(edit?.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-edit"]).toBe("true");
    expect(edit?.rules?.[0]?.resources).toEqual(["callbackservices"]);
    expect(find(await render("rbac.aggregateToDefaultRoles=false"), "ClusterRole")).toHaveLength(1);
  });

  it("runs a hardened operator pod with probes, a PodDisruptionBudget and metrics", async () => {
    const docs = await render();
    const container = operatorContainer(docs);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.args).toContain("--leader-elect=true");
    const text = JSON.stringify(find(docs, "Deployment")[0]);
    for (const expected of ['"path":"/healthz"', '"path":"/readyz"', '"containerPort":8081'])
      expect(text).toContain(expected);
    expect(find(docs, "PodDisruptionBudget")).toHaveLength(1);
    expect(find(docs, "Service", "cbo-callback-operator-metrics")).toHaveLength(1);
    expect(find(docs, "ServiceMonitor")).toHaveLength(0);
    expect(find(await render("replicaCount=1"), "PodDisruptionBudget")).toHaveLength(0);
    expect(
      find(await render("metrics.serviceMonitor.enabled=true"), "ServiceMonitor"),
    ).toHaveLength(1);
    const placed = await render(
      "nodeSelector.pool=ops",
      "tolerations[0].key=dedicated",
      "tolerations[0].operator=Exists",
    );
    expect(JSON.stringify(find(placed, "Deployment")[0])).toContain(
      '"nodeSelector":{"pool":"ops"}',
    );
    expect(JSON.stringify(find(placed, "Deployment")[0])).toContain('"key":"dedicated"');
  });

  it("maps values to operator flags that the operator itself accepts", async () => {
    const docs = await render(
      "routing.mode=httproute",
      "routing.defaultHost=callbacks.example.com",
      "routing.ingressClassName=nginx",
      "routing.gateways={gateway-system/public/https}",
      "routing.urlScheme=http",
      "callbackApi.image.repository=registry.example.com/callback-api",
      "callbackApi.image.tag=1.2.3",
      "callbackApi.image.pullPolicy=Always",
      "callbackApi.database.secretName=callback-db",
      "callbackApi.database.secretKey=dsn",
      "callbackApi.admin.secretName=callback-admin",
      "callbackApi.storage.size=2Gi",
      "callbackApi.storage.className=fast-ssd",
      "builtinTemplate.enabled=false",
      "watchNamespaces={team-a}",
      "controller.concurrency=3",
    );
    const { args, env } = operatorContainer(docs);
    const [command, ...flags] = args;
    expect(command).toBe("operator");
    // Every operator flag but --kubeconfig (in-cluster) and --help is set by a value; the Lease's
    // namespace comes from POD_NAMESPACE.
    const set = new Set(flags.map((f) => f.replace(/^--([^=]+)=.*$/, "$1")));
    for (const flag of operatorFlags) {
      if (["kubeconfig", "help"].includes(flag.name)) continue;
      if (flag.name === "leader-election-namespace") {
        expect(env?.map((e) => e.name)).toContain(flag.env);
        continue;
      }
      expect(set, `--${flag.name}`).toContain(flag.name);
    }
    // The operator's own parser accepts the rendered flags and reads the values back.
    const options = operatorOptions([...flags, `--kubeconfig=${kubeconfigPath()}`], {
      POD_NAMESPACE: "cbo-system",
    });
    if (options === "help") throw new Error("unexpected --help");
    expect(options.render.routingMode).toBe("httproute");
    expect(options.render.defaultStorageSize).toBe("2Gi");
    expect(options.render.defaultStorageClass).toBe("fast-ssd");
    expect(options.render.defaultHost).toBe("callbacks.example.com");
    expect(options.render.ingressClassName).toBe("nginx");
    expect(options.render.gatewayParentRefs).toEqual([
      { namespace: "gateway-system", name: "public", sectionName: "https" },
    ]);
    expect(options.render.urlScheme).toBe("http");
    expect(options.render.image).toBe("registry.example.com/callback-api:1.2.3");
    expect(options.render.imagePullPolicy).toBe("Always");
    expect(options.render.defaultDatabaseSecret).toEqual({ name: "callback-db", key: "dsn" });
    expect(options.render.adminCredentialsSecret).toBe("callback-admin");
    expect(options.installBuiltinTemplate).toBe(false);
    expect(options.namespaces).toEqual(["team-a"]);
    expect(options.concurrency).toBe(3);
    expect(options.leaderElection).toMatchObject({
      enabled: true,
      namespace: "cbo-system",
      name: "cbo-callback-operator",
    });
  });

  it("creates the default database Secret only when given a URL, and needs its name", async () => {
    expect(find(await render("callbackApi.database.secretName=callback-db"), "Secret")).toEqual([]);
    const [secret] = find(
      await render(
        "callbackApi.database.secretName=callback-db",
        "callbackApi.database.url=postgres://callback@db.example.com:5432/callbacks",
      ),
      "Secret",
    );
    expect(secret).toMatchObject({
      metadata: { name: "callback-db", namespace: "cbo-system" },
      stringData: { url: "postgres://callback@db.example.com:5432/callbacks" },
    });
    const nameless = await tryHelm([
      "template",
      "x",
      chartDir,
      "--set",
      "callbackApi.database.url=postgres://db/callbacks",
    ]);
    expect(nameless.stderr).toContain(
      "callbackApi.database.url needs callbackApi.database.secretName",
    );
    const notPostgres = await tryHelm([
      "template",
      "x",
      chartDir,
      "--set",
      "callbackApi.database.secretName=db",
      "--set",
      "callbackApi.database.url=mysql://db/callbacks",
    ]);
    expect(notPostgres.status).not.toBe(0);
    expect(notPostgres.stderr).toMatch(/callbackApi.database.url|url/);
  });

  it("uses the operator's image for the Callback API unless told otherwise", async () => {
    const { args } = operatorContainer(await render("image.tag=9.9.9"));
    expect(args).toContain(
      "--callback-api-image=ghcr.io/callback-operator/callback-operator:9.9.9",
    );
  });
});

describe("dist/install.yaml", () => {
  it("is the chart rendered with default values", async () => {
    const onDisk = await readFile(installManifestPath, "utf8").catch(() => "(missing)");
    if (onDisk !== (await renderInstallManifest())) {
      expect.fail(`dist/install.yaml is stale: run ${generateInstallCommand} and commit it`);
    }
    const docs = documents(onDisk);
    expect(docs[0]).toMatchObject({
      kind: "Namespace",
      metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    expect(find(docs, "CustomResourceDefinition")).toHaveLength(3);
    expect(find(docs, "Deployment")).toHaveLength(1);
  });
});
