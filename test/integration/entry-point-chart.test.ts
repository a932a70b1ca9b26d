// The chart's entry point (entryPoint.*, docs/adr/0106) without a cluster: nothing by default;
// when enabled, a Deployment whose arguments the entry command accepts, its Service, RBAC that
// only lists and watches CallbackServices, and a route for the service-less prefixes.
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseEntryFlags } from "../../src/callback-api/entry/flags.ts";
import { chartDir, helmPath, helmTemplate, tryHelm } from "../support/helm.ts";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  spec?: Record<string, unknown>;
}

interface PodSpec {
  serviceAccountName: string;
  containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

const ENTRY = "cbo-callback-operator-entry";

async function render(...sets: string[]): Promise<Manifest[]> {
  const yaml = await helmTemplate(
    "cbo",
    "cbo-system",
    sets.flatMap((set) => ["--set", set]),
  );
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

const entryObjects = (docs: Manifest[]): Manifest[] =>
  docs.filter((doc) => doc.metadata.name === ENTRY);

function podSpec(docs: Manifest[]): PodSpec {
  const deployment = docs.find((doc) => doc.kind === "Deployment" && doc.metadata.name === ENTRY);
  if (deployment === undefined) throw new Error("no entry point Deployment");
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

beforeAll(async () => {
  await helmPath(); // builds Helm on a cold cache (minutes), outside any test's timeout
}, 900_000);

describe("the chart's entry point", () => {
  it("renders nothing unless entryPoint.enabled: the service-less paths stay unrouted", async () => {
    expect(entryObjects(await render())).toEqual([]);
  });

  it("renders a Deployment the entry command accepts, its Service, RBAC and an Ingress", async () => {
    const docs = await render("entryPoint.enabled=true", "routing.defaultHost=gms.example.com");
    expect(
      entryObjects(docs)
        .map((doc) => doc.kind)
        .sort(),
    ).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "Ingress",
      "Service",
      "ServiceAccount",
    ]);
    const pod = podSpec(docs);
    expect(pod.serviceAccountName).toBe(ENTRY);
    const args = pod.containers[0]?.args ?? [];
    expect(args.slice(0, 2)).toEqual(["callback-api", "entry"]);
    // Every rendered flag is one the command has, with a value it accepts: discovery, no admin.
    expect(parseEntryFlags(args.slice(2), {})).toMatchObject({
      upstreams: { kind: "discovered", namespaces: [], clusterDomain: "cluster.local" },
      admin: undefined,
      upstreamTimeoutMs: 10_000,
    });
    const [role] = docs.filter((doc) => doc.kind === "ClusterRole" && doc.metadata.name === ENTRY);
    expect(role?.rules).toEqual([
      {
        apiGroups: ["callback-operator.io"],
        resources: ["callbackservices"],
        verbs: ["list", "watch"],
      },
    ]);
    const ingress = docs.find((doc) => doc.kind === "Ingress" && doc.metadata.name === ENTRY);
    const rules = (ingress?.spec as { rules: { host: string; http: { paths: unknown[] } }[] })
      .rules;
    expect(rules).toEqual([
      {
        host: "gms.example.com",
        http: {
          paths: ["/genesys/1/service", "/genesys/1/admin", "/genesys/1/phonenumber"].map(
            (path) => ({
              path,
              pathType: "Prefix",
              backend: { service: { name: ENTRY, port: { name: "http" } } },
            }),
          ),
        },
      },
    ]);
  });

  it("mounts the admin password Secret and passes the admin flags", async () => {
    const docs = await render(
      "entryPoint.enabled=true",
      "entryPoint.admin.username=admin",
      "entryPoint.admin.passwordSecret.name=gms-admin",
    );
    const pod = podSpec(docs);
    const args = pod.containers[0]?.args ?? [];
    expect(parseEntryFlags(args.slice(2), {})).toMatchObject({
      admin: { username: "admin", passwordFile: "/etc/callback-operator/entry-admin/password" },
    });
    expect(pod.volumes.find((volume) => volume.name === "admin-password")?.secret).toMatchObject({
      secretName: "gms-admin",
    });
    const missing = await tryHelm([
      "template",
      "x",
      chartDir,
      "--set",
      "entryPoint.enabled=true",
      "--set",
      "entryPoint.admin.username=admin",
    ]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("entryPoint.admin.passwordSecret.name is required");
  });

  it("grants a Role per watched namespace and routes with an HTTPRoute when asked", async () => {
    const docs = await render(
      "entryPoint.enabled=true",
      "watchNamespaces={a,b}",
      "routing.mode=httproute",
      "routing.gateways={gateway-system/public/https}",
    );
    const roles = entryObjects(docs).filter((doc) => doc.kind === "Role");
    expect(roles.map((role) => role.metadata.namespace)).toEqual(["a", "b"]);
    expect(entryObjects(docs).filter((doc) => doc.kind === "ClusterRole")).toEqual([]);
    expect(parseEntryFlags((podSpec(docs).containers[0]?.args ?? []).slice(2), {})).toMatchObject({
      upstreams: { kind: "discovered", namespaces: ["a", "b"] },
    });
    const route = docs.find((doc) => doc.kind === "HTTPRoute" && doc.metadata.name === ENTRY);
    expect(route?.spec).toMatchObject({
      parentRefs: [{ namespace: "gateway-system", name: "public", sectionName: "https" }],
      rules: [
        {
          matches: [
            { path: { type: "PathPrefix", value: "/genesys/1/service" } },
            { path: { type: "PathPrefix", value: "/genesys/1/admin" } },
            { path: { type: "PathPrefix", value: "/genesys/1/phonenumber" } },
          ],
          backendRefs: [{ name: ENTRY, port: 80 }],
        },
      ],
    });
    const unrouted = await render("entryPoint.enabled=true", "entryPoint.route.enabled=false");
    expect(entryObjects(unrouted).filter((doc) => doc.kind === "Ingress")).toEqual([]);
  });

  it("passes helm lint --strict with the entry point enabled", async () => {
    const result = await tryHelm([
      "lint",
      "--strict",
      chartDir,
      "--set",
      "entryPoint.enabled=true",
      "--set",
      "entryPoint.admin.username=admin",
      "--set",
      "entryPoint.admin.passwordSecret.name=gms-admin",
    ]);
    expect(result.stderr + result.stdout).toContain("0 chart(s) failed");
    expect(result.status).toBe(0);
  });
});
