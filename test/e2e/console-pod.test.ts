// The chart's console Deployment in a real pod of the product image on the real node: its own
// ServiceAccount and RBAC against the real apiserver, local users from a mounted Secret, the admin
// credentials of callbackApi.admin, its probes; Chromium (playwright-core, docs/adr/0133) goes
// through `kubectl port-forward`, signs in and sees the services its ConsolePermission shares,
// their callbacks, and cancels one (an Event on the service, created with the pod's rights).
//
// What the plane cannot give, and how it is bridged: the plane has no Service routing (no
// kube-proxy, no endpoints; docs/testing.md, "Real pods") and its apiserver listens on 127.0.0.1 only.
// So the pod reaches the apiserver through a TCP relay on the node's bridge address, named
// `kubernetes.default.svc` (a SAN of the apiserver's certificate) by a hostAlias, with the
// in-cluster credentials of a projected ServiceAccount token (the plane runs no ServiceAccount
// admission plug-in to add it). And it cannot reach the Callback APIs of in-pod services through
// their Services: here they are Callback API processes on the host, reached through relays named
// by `--callback-api-urls`. The in-pod console managing in-pod Callback APIs through their
// Services is therefore tested only with processes (test/integration/console-browser.test.ts);
// docs/testing.md says so.
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { realNodeName, realNodeTaint } from "../../src/control-plane/real-node.ts";
import { hashPassword } from "../../src/console/local-users.ts";
import { stopServer, type ServerProcess } from "../callback-api/support/server-process.ts";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
} from "../support/cluster.ts";
import { helmPath, helmTemplate } from "../support/helm.ts";
import { launchChromium, startAdminCallbackApi } from "../support/console.ts";
import { waitFor } from "../support/wait.ts";
import { portForward, type PortForward } from "./support/port-forward.ts";
import { startRelay, type Relay } from "./support/tcp-relay.ts";

const RELEASE = "e2e";
const CONSOLE = `${RELEASE}-callback-operator-console`;
const USER = "alice";
const PASSWORD = "a long password for the real pod";
const ADMIN = { username: "gms-admin", password: "admin-password-for-the-pod" };
const CUSTOMER = "+16505550123";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

interface Container {
  name: string;
  image: string;
  env?: unknown[];
  volumeMounts?: unknown[];
}

interface PodSpec {
  containers: Container[];
  volumes?: unknown[];
  [key: string]: unknown;
}

let namespace = "";
let browser: Browser | undefined;
let forward: PortForward | undefined;
const relays: Relay[] = [];
const apis = new Map<string, ServerProcess>();

/** The apiserver's port on 127.0.0.1, from the plane's kubeconfig. */
function apiserverPort(): number {
  const config = parse(readFileSync(inject("kubeconfig"), "utf8")) as {
    clusters: { cluster: { server: string } }[];
  };
  return Number(new URL(config.clusters[0]?.cluster.server ?? "").port);
}

/** A Callback API process of service `name` on the host, with the admin credentials. */
async function startCallbackApi(name: string): Promise<ServerProcess> {
  const server = await startAdminCallbackApi(name, { _service_groups: name }, ADMIN);
  apis.set(name, server);
  return server;
}

function secret(name: string, data: Record<string, string>): Manifest {
  return {
    kind: "Secret",
    apiVersion: "v1",
    metadata: { name, namespace },
    stringData: data,
  } as Manifest;
}

/**
 * The service's group label is the one the operator writes from `_service_groups`; no operator
 * runs here (its pods would only be kwok's), so the test writes it.
 */
function callbackService(name: string): Manifest {
  return {
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name, namespace, labels: { [`group.callback-operator.io/${name}`]: "true" } },
    spec: { template: "callback", scenario: "User-Terminated-Delayed" },
  } as Manifest;
}

/** The console objects of the chart, rendered by Helm for this namespace. */
async function renderConsole(overrides: string): Promise<Manifest[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "console-pod-"));
  const values = path.join(dir, "values.yaml");
  await writeFile(
    values,
    stringify({
      watchNamespaces: [namespace],
      callbackApi: { admin: { secretName: "callback-admin" } },
      console: { localUsers: { secretName: "console-users" }, extraArgs: [overrides] },
    }),
  );
  const yaml = await helmTemplate(RELEASE, namespace, [
    "--show-only",
    "templates/console.yaml",
    "-f",
    values,
  ]);
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

/**
 * The rendered Deployment, placed on the real node and given what the plane lacks: the apiserver
 * at the relay (as in-cluster config finds it) and the ServiceAccount token volume.
 */
function onRealNode(deployment: Manifest, apiRelay: Relay): void {
  const pod = (deployment.spec as { template: { spec: PodSpec } }).template.spec;
  pod["nodeSelector"] = { [realNodeTaint.key]: realNodeTaint.value };
  pod["tolerations"] = [
    { key: realNodeTaint.key, operator: "Exists", effect: realNodeTaint.effect },
  ];
  pod["hostAliases"] = [{ ip: apiRelay.host, hostnames: ["kubernetes.default.svc"] }];
  const container = pod.containers[0];
  if (container === undefined) throw new Error("The console Deployment has no container");
  container.env = [
    ...(container.env ?? []),
    { name: "KUBERNETES_SERVICE_HOST", value: "kubernetes.default.svc" },
    { name: "KUBERNETES_SERVICE_PORT", value: String(apiRelay.port) },
  ];
  container.volumeMounts = [
    ...(container.volumeMounts ?? []),
    {
      name: "kube-api-access",
      mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
      readOnly: true,
    },
  ];
  pod.volumes = [
    ...(pod.volumes ?? []),
    {
      name: "kube-api-access",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3607 } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
            },
          },
        ],
      },
    },
  ];
}

function consoleReady(): boolean {
  const pods = kubectlJson<{
    items: { status: { conditions?: { type: string; status: string }[] } }[];
  }>(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=console"]).items;
  return pods.some((pod) =>
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
  );
}

const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}`;

beforeAll(async () => {
  await helmPath(); // builds Helm on a cold cache (minutes)
  installCrds();
  namespace = createNamespace("console-pod");
  const gateway = inject("realNode").gateway;
  const apiRelay = await startRelay(gateway, { host: "127.0.0.1", port: apiserverPort() });
  relays.push(apiRelay);
  const overrides: string[] = [];
  for (const name of ["support", "sales"]) {
    const api = await startCallbackApi(name);
    const relay = await startRelay(gateway, { host: "127.0.0.1", port: api.port });
    relays.push(relay);
    overrides.push(`${namespace}/${name}=http://${relay.host}:${String(relay.port)}`);
  }
  // A callback waiting in each service; the ConsolePermission shares only support's.
  for (const name of ["support", "sales"]) {
    const answer = await fetch(`${apis.get(name)?.base ?? ""}/genesys/1/service/callback/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: basic },
      body: JSON.stringify({ _customer_number: CUSTOMER }),
    });
    expect(answer.status, await answer.clone().text()).toBe(200);
  }

  const objects = await renderConsole(`--callback-api-urls=${overrides.join(",")}`);
  const deployment = objects.find((o) => o.kind === "Deployment");
  if (deployment === undefined) throw new Error("The chart rendered no console Deployment");
  onRealNode(deployment, apiRelay);
  const permission = {
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "ConsolePermission",
    metadata: { name: namespace },
    spec: {
      subjects: [{ kind: "User", name: USER }],
      role: "Supervisor",
      services: ["support"],
      namespaces: [namespace],
    },
  };
  const all = [
    secret("console-users", { [USER]: await hashPassword(PASSWORD) }),
    secret("callback-admin", ADMIN),
    callbackService("support"),
    callbackService("sales"),
    permission,
    ...objects,
  ];
  kubectl(["apply", "--server-side", "--field-manager=e2e", "-f", "-"], {
    input: all.map((o) => stringify(o)).join("---\n"),
  });
  // Polled, not `kubectl rollout status`: a synchronous kubectl would block this process's event
  // loop, and with it the relays the pod reaches the apiserver through.
  const ready = await waitFor(
    () => Promise.resolve(consoleReady()),
    180_000,
    "the console pod Ready",
    1_000,
  ).then(
    () => true,
    () => false,
  );
  if (!ready) {
    // What the pod went through, for whoever reads the failure.
    const selector = "app.kubernetes.io/component=console";
    const describe = tryKubectl(["describe", "pods", "-n", namespace, "-l", selector]).stdout;
    const logs = tryKubectl(["logs", "-n", namespace, "-l", selector, "--tail=20"]);
    const probe = tryKubectl([
      "exec",
      "-n",
      namespace,
      `deployment/${CONSOLE}`,
      "--",
      "/usr/local/bin/node",
      "-e",
      `const net = require("net"); require("dns").lookup("kubernetes.default.svc", (e, a) => console.log("lookup", e?.code, a));
       const s = net.connect(${String(apiRelay.port)}, "${apiRelay.host}"); s.setTimeout(3000);
       s.on("connect", () => { console.log("connected"); s.end(); }); s.on("timeout", () => { console.log("timeout"); s.destroy(); });
       s.on("error", (e) => console.log("error", e.code));
       console.log(require("fs").readFileSync("/etc/hosts", "utf8"));`,
    ]);
    throw new Error(
      `The console pod did not become Ready:\n${describe}\n${logs.stdout}${logs.stderr}\n${probe.stdout}${probe.stderr}`,
    );
  }
  forward = await portForward(namespace, `deployment/${CONSOLE}`, 8080);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  forward?.stop();
  for (const relay of relays) await relay.close();
  for (const api of apis.values()) await stopServer(api);
  if (namespace !== "") {
    kubectl(["delete", "consolepermission", namespace, "--ignore-not-found"]);
    kubectl(["delete", "namespace", namespace, "--wait=false"]);
  }
});

describe("the chart's console Deployment in a real pod", () => {
  it("runs the product image on the real node, hardened, ready once it has listed the cluster", () => {
    const pods = kubectlJson<{
      items: {
        spec: {
          nodeName: string;
          serviceAccountName: string;
          securityContext: { runAsNonRoot: boolean };
          containers: { image: string; securityContext: { readOnlyRootFilesystem: boolean } }[];
        };
        status: { conditions: { type: string; status: string }[] };
      }[];
    }>(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=console"]).items;
    expect(pods).toHaveLength(1);
    const [pod] = pods;
    expect(pod?.spec.nodeName).toBe(realNodeName);
    expect(pod?.spec.serviceAccountName).toBe(CONSOLE);
    expect(pod?.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod?.spec.containers[0]?.image).toBe(inject("productImage").reference);
    expect(pod?.spec.containers[0]?.securityContext.readOnlyRootFilesystem).toBe(true);
    // Ready comes from the console's /readyz: CallbackServices and ConsolePermissions listed
    // with the chart's RBAC through the apiserver.
    expect(pod?.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("signs a local user in through the port-forward and shows only the services shared", async () => {
    if (browser === undefined || forward === undefined) throw new Error("No browser or forward");
    const page0 = await fetch(`${forward.base}/`);
    expect(page0.status).toBe(200);
    expect(page0.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page0.text()).toContain("<title>GMS Management UI — Callback</title>");
    const context = await browser.newContext({ baseURL: forward.base, timezoneId: "UTC" });
    const page = await context.newPage();
    try {
      await page.goto("/");
      await expect.poll(() => page.locator("form#sign-in").isVisible()).toBe(true);
      await page.locator("#password").fill("not the password");
      await page.locator("#username").fill(USER);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      // A refused sign-in costs a scrypt check: seconds for a pod of 20m CPU on a busy node.
      await expect
        .poll(() => page.locator("#error").textContent(), { timeout: 15_000 })
        .toMatch(/\S/);
      await page.locator("#password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      const services = page.locator("section#services");
      await expect.poll(() => services.textContent(), { timeout: 30_000 }).toContain("support");
      expect(await services.textContent()).toContain(namespace);
      expect(await services.textContent()).not.toContain("sales");
      const table = page.locator("table#callbacks");
      await expect.poll(() => table.textContent(), { timeout: 30_000 }).toContain(CUSTOMER);
      expect(await table.locator("tbody tr").count()).toBe(1);

      // A Supervisor's cancel: the console's Event on the service is created with the pod's rights.
      await table.getByRole("button", { name: "Cancel", exact: true }).click();
      await page.getByRole("button", { name: "Cancel these callbacks" }).click();
      await expect
        .poll(
          () =>
            kubectlJson<{ items: { involvedObject: { name: string }; message: string }[] }>([
              "get",
              "events",
              "-n",
              namespace,
              "--field-selector",
              "reason=CallbackCancelled",
            ]).items.map((event) => ({
              service: event.involvedObject.name,
              namesTheUser: event.message.includes(USER),
            })),
          { timeout: 30_000 },
        )
        .toEqual([{ service: "support", namesTheUser: true }]);
    } finally {
      await context.close();
    }
  });
});
