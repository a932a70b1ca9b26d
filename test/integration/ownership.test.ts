// Ownership without GETs (docs/adr/0128) against the real apiserver: the names view is a
// metadata-only list and watch; a new service costs no GET of its children; someone else's object
// of a child's name still stops the service, untouched, and freeing the name lets it go on.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { collectionPath } from "../../src/controller/resources.ts";
import { Informer } from "../../src/runtime/informer.ts";
import type { Condition } from "../../src/api/conditions.ts";
import { KubeClient, metadataOnly, type KubeObject } from "../../src/runtime/kube-client.ts";
import {
  adminAccess,
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
} from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const poll = { timeout: 60_000, interval: 250 };
let operator: RunningOperator;
let client: KubeClient;
let ns = "";
let other = "";
const stop = new AbortController();

beforeAll(async () => {
  installCrds();
  ns = createNamespace("owner");
  other = createNamespace("owner-b");
  // Two watched namespaces (one names informer path each), and watches that outlast every test:
  // a watch re-opened during a measurement would be a GET too.
  operator = await startOperator("ownership", [
    `--namespaces=${ns},${other}`,
    "--watch-timeout=600s",
  ]);
  client = new KubeClient(adminAccess());
});

afterAll(async () => {
  stop.abort();
  await client.close();
  await operator.stop();
});

interface Stored {
  metadata: {
    uid: string;
    resourceVersion: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  status?: { conditions?: Condition[] };
}

const apply = (object: unknown, namespace: string): void => {
  kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", namespace, "-f", "-"], {
    input: stringify(object),
  });
};

const service = (name: string): Record<string, unknown> => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "CallbackService",
  metadata: { name },
  spec: { scenario: "User-Terminated-Immediate", options: { _route_point: "8999@SIP_Switch" } },
});

const get = (namespace: string, kind: string, name: string): Stored =>
  kubectlJson<Stored>(["get", "-n", namespace, kind, name]);
const exists = (namespace: string, kind: string, name: string): boolean =>
  kubectl(["get", "-n", namespace, kind, "--ignore-not-found", "-o", "name", name]).trim() !== "";
const condition = (namespace: string, name: string, type: string): Condition | undefined =>
  get(namespace, "cbs", name).status?.conditions?.find((c) => c.type === type);

describe("the names view", () => {
  it("lists and watches metadata only: no data, whatever the object holds", async () => {
    kubectl(["create", "configmap", "listed", "-n", other, "--from-literal=big=listed-data"]);
    const names = new Informer<KubeObject>(client, {
      name: "ConfigMapNames",
      paths: [collectionPath("ConfigMap", other)],
      accept: metadataOnly,
      log: pino({ level: "silent" }),
    });
    await names.start(stop.signal);
    const listed = names.get(`${other}/listed`);
    expect(listed?.metadata.resourceVersion).toBeDefined();
    expect(listed?.["data"]).toBeUndefined();
    kubectl(["create", "configmap", "watched", "-n", other, "--from-literal=big=watched-data"]);
    await expect.poll(() => names.get(`${other}/watched`)?.metadata.name, poll).toBe("watched");
    expect(names.get(`${other}/watched`)?.["data"]).toBeUndefined();
    kubectl(["delete", "configmap", "watched", "-n", other]);
    await expect.poll(() => names.get(`${other}/watched`), poll).toBeUndefined();
  });
});

describe("a new service", () => {
  it("costs no GET for its free names: its children's names are free in the names view", async () => {
    const before = await operator.requests();
    apply(service("fresh"), ns);
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", "cbs/fresh"]);
    const delta = async (): Promise<Record<string, number>> => {
      const after = await operator.requests();
      return Object.fromEntries(
        Object.keys(after).map((method) => [method, (after[method] ?? 0) - (before[method] ?? 0)]),
      );
    };
    // The ReconciliationSucceeded Event is sent after the status that made it Ready.
    await expect.poll(async () => (await delta())["POST"] ?? 0, poll).toBeGreaterThanOrEqual(1);
    const counts = await delta();
    process.stderr.write(`[ownership] requests for one new service: ${JSON.stringify(counts)}\n`);
    // The check itself sends none; a GET is left only where the pass after the first runs before
    // a child's watch event arrived (its create-only apply is refused, and one GET finds it ours).
    // Before the names view every child cost one: 4 at least.
    expect(counts["GET"] ?? 0).toBeLessThan(4);
    // 4 child applies, the label patch and at least one status write.
    expect(counts["PATCH"]).toBeGreaterThanOrEqual(6);
  });
});

describe("someone else's object of a child's name", () => {
  it("stops the service (a Service without an owner), untouched; deleting it lets the service go on", async () => {
    kubectl(["create", "service", "clusterip", "taken", "-n", ns, "--tcp=80:8080"]);
    const before = get(ns, "service", "taken");
    apply(service("taken"), ns);
    await expect.poll(() => condition(ns, "taken", "Stalled")?.reason, poll).toBe("ChildConflict");
    expect(condition(ns, "taken", "Stalled")?.message).toContain(
      `Service ${ns}/taken already exists and is not owned by any controller`,
    );
    const after = get(ns, "service", "taken");
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.ownerReferences).toBeUndefined();
    // Checked before anything is written: not even the ConfigMap was applied.
    expect(exists(ns, "configmap", "service.taken")).toBe(false);

    kubectl(["delete", "service", "taken", "-n", ns]);
    await expect.poll(() => condition(ns, "taken", "Ready")?.status, poll).toBe("True");
  });

  it("stops the service when another object controls it (a StatefulSet), untouched", async () => {
    kubectl(["create", "configmap", "keeper", "-n", other]);
    const keeper = get(other, "configmap", "keeper");
    const owner = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "keeper",
      uid: keeper.metadata.uid,
      controller: true,
    };
    apply(
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "held", ownerReferences: [owner] },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "held" } },
          template: {
            metadata: { labels: { app: "held" } },
            spec: { containers: [{ name: "c", image: "example.invalid/held:1" }] },
          },
        },
      },
      other,
    );
    const before = get(other, "statefulset", "held");
    apply(service("held"), other);
    await expect
      .poll(() => condition(other, "held", "Stalled")?.reason, poll)
      .toBe("ChildConflict");
    expect(condition(other, "held", "Stalled")?.message).toContain(
      `StatefulSet ${other}/held already exists and is controlled by ConfigMap keeper`,
    );
    const after = get(other, "statefulset", "held");
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.ownerReferences).toEqual([owner]);
    expect(after.metadata.labels).toBeUndefined();
    expect(exists(other, "configmap", "service.held")).toBe(false);
  });
});

describe("a child of ours", () => {
  it("whose label was removed by hand is looked up, found ours and labelled again", async () => {
    apply(service("relabel"), ns);
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", "cbs/relabel"]);
    kubectl(["label", "configmap", "service.relabel", "-n", ns, "app.kubernetes.io/managed-by-"]);
    await expect
      .poll(
        () =>
          get(ns, "configmap", "service.relabel").metadata.labels?.["app.kubernetes.io/managed-by"],
        poll,
      )
      .toBe("callback-operator");
    expect(condition(ns, "relabel", "Stalled")).toBeUndefined();
    expect(condition(ns, "relabel", "Ready")?.status).toBe("True");
  });
});
