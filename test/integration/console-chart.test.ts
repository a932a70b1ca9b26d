// The chart's console (console.*, docs/console.md, docs/adr/0134) without a cluster: on by
// default, a Deployment whose arguments the console command accepts, its Service, its own
// ServiceAccount with least-privilege RBAC, its Secrets mounted, a route only when asked, and the
// values it refuses (more replicas than one without a shared session key, OIDC half set).
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseConsoleFlags } from "../../src/console/flags.ts";
import { chartDir, helmPath, helmTemplate, tryHelm } from "../support/helm.ts";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  subjects?: { kind: string; name: string; namespace: string }[];
  spec?: Record<string, unknown>;
}

interface Container {
  image: string;
  args: string[];
  env?: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
  volumeMounts: { name: string; mountPath: string }[];
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; items?: { key: string }[] } }[];
}

const CONSOLE = "cbo-callback-operator-console";

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

const consoleObjects = (docs: Manifest[]): Manifest[] =>
  docs.filter((doc) => doc.metadata.name === CONSOLE);

function podSpec(docs: Manifest[]): PodSpec {
  const deployment = docs.find((doc) => doc.kind === "Deployment" && doc.metadata.name === CONSOLE);
  if (deployment === undefined) throw new Error("no console Deployment");
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

function container(docs: Manifest[]): Container {
  const first = podSpec(docs).containers[0];
  if (first === undefined) throw new Error("no console container");
  return first;
}

/** The flags as the console parses them, with the environment the pod gives it. */
function parsedFlags(docs: Manifest[]): ReturnType<typeof parseConsoleFlags> {
  const { args, env } = container(docs);
  expect(args[0]).toBe("console");
  const environment = Object.fromEntries(
    (env ?? []).map((e) => [e.name, `from-secret:${e.valueFrom.secretKeyRef.key}`]),
  );
  return parseConsoleFlags(args.slice(1), environment);
}

beforeAll(async () => {
  await helmPath(); // builds Helm on a cold cache (minutes), outside any test's timeout
}, 900_000);

describe("the chart's console", () => {
  it("is on by default: a hardened Deployment, its Service, ServiceAccount and RBAC, no route", async () => {
    const docs = await render();
    expect(
      consoleObjects(docs)
        .map((doc) => doc.kind)
        .sort(),
    ).toEqual(["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"]);
    const pod = podSpec(docs);
    expect(pod.serviceAccountName).toBe(CONSOLE);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const consoleContainer = container(docs);
    expect(consoleContainer.image).toMatch(/^ghcr\.io\/callback-operator\/callback-operator:/);
    expect(consoleContainer.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(consoleContainer.readinessProbe.httpGet.path).toBe("/readyz");
    expect(consoleContainer.livenessProbe.httpGet.path).toBe("/healthz");
    expect(consoleContainer.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
    ]);
    // Nothing to sign in with and no admin credentials: the console still starts (and says how
    // to add a user); every rendered flag is one it accepts.
    expect(parsedFlags(docs)).toMatchObject({
      port: 8080,
      namespaces: [],
      clusterDomain: "cluster.local",
      admin: undefined,
      localUsersDir: undefined,
      sessionKeyFile: undefined,
      oidc: undefined,
      upstreamTimeoutMs: 10_000,
      logLevel: "info",
    });
    const [role] = docs.filter(
      (doc) => doc.kind === "ClusterRole" && doc.metadata.name === CONSOLE,
    );
    expect(role?.rules).toEqual([
      {
        apiGroups: ["callback-operator.io"],
        resources: ["consolepermissions"],
        verbs: ["get", "list", "watch"],
      },
      {
        apiGroups: ["callback-operator.io"],
        resources: ["callbackservices"],
        verbs: ["get", "list", "watch"],
      },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ]);
    const [binding] = docs.filter(
      (doc) => doc.kind === "ClusterRoleBinding" && doc.metadata.name === CONSOLE,
    );
    expect(binding?.subjects).toEqual([
      { kind: "ServiceAccount", name: CONSOLE, namespace: "cbo-system" },
    ]);
  });

  it("renders nothing with console.enabled=false", async () => {
    expect(consoleObjects(await render("console.enabled=false"))).toEqual([]);
  });

  it("grants CallbackServices and Events per watched namespace, ConsolePermissions cluster-wide", async () => {
    const docs = await render("watchNamespaces={team-a,team-b}");
    const [clusterRole] = docs.filter(
      (doc) => doc.kind === "ClusterRole" && doc.metadata.name === CONSOLE,
    );
    expect(clusterRole?.rules?.flatMap((r) => r.resources)).toEqual(["consolepermissions"]);
    const roles = docs.filter((doc) => doc.kind === "Role" && doc.metadata.name === CONSOLE);
    expect(roles.map((r) => r.metadata.namespace)).toEqual(["team-a", "team-b"]);
    expect(roles[0]?.rules?.flatMap((r) => r.resources)).toEqual(["callbackservices", "events"]);
    const bindings = docs.filter(
      (doc) => doc.kind === "RoleBinding" && doc.metadata.name === CONSOLE,
    );
    expect(bindings.map((b) => b.metadata.namespace)).toEqual(["team-a", "team-b"]);
    expect(parsedFlags(docs)).toMatchObject({ namespaces: ["team-a", "team-b"] });
  });

  it("mounts the local users, the session key, the OIDC client secret and the admin password", async () => {
    const docs = await render(
      "callbackApi.admin.secretName=callback-admin",
      "console.localUsers.secretName=console-users",
      "console.sessionKey.secretName=console-session",
      "console.replicaCount=2",
      "console.externalUrl=https://callbacks.example.com",
      "console.oidc.issuer=https://idp.example.com/realms/cc",
      "console.oidc.clientId=callback-console",
      "console.oidc.clientSecretName=console-oidc",
      "console.oidc.groupsClaim=roles",
      "console.oidc.scopes=openid groups email",
      "console.extraArgs={--session-idle=15m}",
    );
    const flags = parsedFlags(docs);
    expect(flags === "help" ? undefined : String(flags.oidc?.issuer)).toBe(
      "https://idp.example.com/realms/cc",
    );
    expect(flags).toMatchObject({
      admin: {
        username: "from-secret:username",
        passwordFile: "/etc/callback-operator/admin/password",
      },
      localUsersDir: "/etc/callback-operator/users",
      sessionKeyFile: "/etc/callback-operator/session/key",
      externalOrigin: "https://callbacks.example.com",
      oidc: {
        clientId: "callback-console",
        clientSecretFile: "/etc/callback-operator/oidc/client-secret",
        groupsClaim: "roles",
        usernameClaim: "preferred_username",
        scopes: ["openid", "groups", "email"],
      },
      sessionIdleMs: 15 * 60_000,
    });
    const { env, volumeMounts } = container(docs);
    expect(env).toEqual([
      {
        name: "CALLBACK_CONSOLE_ADMIN_USERNAME",
        valueFrom: { secretKeyRef: { name: "callback-admin", key: "username" } },
      },
    ]);
    const secrets = Object.fromEntries(
      podSpec(docs).volumes.map((v) => [
        v.name,
        v.secret === undefined ? undefined : [v.secret.secretName, v.secret.items?.[0]?.key],
      ]),
    );
    expect(secrets).toEqual({
      tmp: undefined,
      "admin-password": ["callback-admin", "password"],
      // Every key is a user: the whole Secret.
      "local-users": ["console-users", undefined],
      "session-key": ["console-session", "key"],
      "oidc-client-secret": ["console-oidc", "client-secret"],
    });
    const mounted = volumeMounts.map((m) => m.name).sort();
    expect(mounted).toEqual(Object.keys(secrets).sort());
  });

  it("refuses more than one replica without a shared session key, naming the value to set", async () => {
    const result = await tryHelm(["template", "x", chartDir, "--set", "console.replicaCount=2"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("console.replicaCount > 1 needs console.sessionKey.secretName");
  });

  it("refuses OIDC without its client and the console's external URL", async () => {
    const result = await tryHelm([
      "template",
      "x",
      chartDir,
      "--set",
      "console.oidc.issuer=https://idp.example.com",
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "console.oidc.issuer needs console.oidc.clientId, console.oidc.clientSecretName and console.externalUrl",
    );
  });

  it("routes / to the console with an Ingress, or an HTTPRoute, only with console.route.enabled", async () => {
    const ingress = consoleObjects(
      await render("console.route.enabled=true", "console.route.host=callbacks.example.com"),
    ).find((doc) => doc.kind === "Ingress");
    expect(ingress?.spec).toEqual({
      rules: [
        {
          host: "callbacks.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: CONSOLE, port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    });
    const route = consoleObjects(
      await render(
        "console.route.enabled=true",
        "routing.mode=httproute",
        "routing.gateways={gateway-system/public/https}",
        "routing.defaultHost=callbacks.example.com",
      ),
    ).find((doc) => doc.kind === "HTTPRoute");
    expect(route?.spec).toEqual({
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          namespace: "gateway-system",
          name: "public",
          sectionName: "https",
        },
      ],
      hostnames: ["callbacks.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ name: CONSOLE, port: 80 }],
        },
      ],
    });
  });

  it("runs the image console.image names, else the operator's", async () => {
    expect(container(await render("image.tag=1.2.3")).image).toBe(
      "ghcr.io/callback-operator/callback-operator:1.2.3",
    );
    expect(
      container(await render("console.image.repository=registry.example.com/console")).image,
    ).toMatch(/^registry\.example\.com\/console:/);
  });
});
