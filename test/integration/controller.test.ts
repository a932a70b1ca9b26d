// The controller against the real control plane: one test per acceptance point of the controller
// issue. One in-process operator serves the whole file; each test works in its own namespace.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { builtinCallbackTemplate } from "../../src/api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../../src/api/callback-service.ts";
import { defaultRenderConfig } from "../../src/render/render-config.ts";
import { render } from "../../src/render/render.ts";
import { readFileSync } from "node:fs";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const examples = path.join(import.meta.dirname, "../../examples");
let operator: RunningOperator;

beforeAll(async () => {
  installCrds();
  operator = await startOperator("controller");
});

afterAll(async () => {
  await operator.stop();
});

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface ServiceObject {
  metadata: { name: string; generation: number; labels?: Record<string, string>; uid: string };
  spec: { options?: Record<string, string> };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    url?: string;
    serviceGroups?: string[];
    lastHandledReconcileAt?: string;
    configHash?: string;
  };
}

interface Child {
  metadata: {
    name: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    ownerReferences?: { uid: string; controller?: boolean }[];
  };
  data?: Record<string, string>;
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

const apply = (object: unknown, ns: string, manager = "test-user"): string =>
  kubectl(
    [
      "apply",
      "--server-side",
      "--force-conflicts",
      `--field-manager=${manager}`,
      "-n",
      ns,
      "-f",
      "-",
    ],
    {
      input: stringify(object),
    },
  );

/** User-terminated scenarios need the route point the outbound call is made from (mandatory). */
const routePoint = { _route_point: "8999@SIP_Switch" };

/** A service of the built-in template gets the route point unless the test sets its own. */
function service(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  const own = (spec["options"] ?? {}) as Record<string, string>;
  const options = spec["template"] === undefined ? { ...routePoint, ...own } : own;
  return {
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name },
    spec: { ...spec, options },
  };
}

const getService = (ns: string, name: string): ServiceObject =>
  kubectlJson<ServiceObject>(["get", "-n", ns, "cbs", name]);
const getChild = (ns: string, kind: string, name: string): Child =>
  kubectlJson<Child>(["get", "-n", ns, kind, name]);
const condition = (s: ServiceObject, type: string): Condition | undefined =>
  s.status?.conditions?.find((c) => c.type === type);

function waitReady(ns: string, name: string): void {
  kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", `cbs/${name}`]);
}

const poll = { timeout: 60_000, interval: 250 };

describe("a CallbackService", () => {
  it("becomes Ready with its section, a rolled-out StatefulSet on a bound claim, a Service and a route at the GMS path", () => {
    const ns = createNamespace("support");
    kubectl([
      "apply",
      "--server-side",
      "-n",
      ns,
      "-f",
      path.join(examples, "callback-support.yaml"),
    ]);
    waitReady(ns, "callback-support");

    const stored = getService(ns, "callback-support");
    const expected = render(
      callbackServiceSchema.parse({
        ...parse(readFileSync(path.join(examples, "callback-support.yaml"), "utf8")),
        metadata: stored.metadata,
      }),
      builtinCallbackTemplate,
      defaultRenderConfig,
    );
    if (!expected.ok) throw new Error(expected.message);
    const configMap = getChild(ns, "configmap", "service.callback-support");
    expect(configMap.data).toEqual(expected.effectiveOptions);
    expect(configMap.data?.["_call_direction"]).toBe("USERTERMINATED");
    expect(configMap.data?.["_target"]).toBe("Support@StatServer.GA");
    expect(configMap.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: stored.metadata.uid, controller: true }),
    ]);

    // Embedded storage (the example names no database): one StatefulSet pod on its own claim.
    kubectl(["rollout", "status", "-n", ns, "--timeout=30s", "statefulset/callback-support"]);
    expect(
      kubectl([
        "get",
        "pvc",
        "-n",
        ns,
        "data-callback-support-0",
        "-o",
        "jsonpath={.status.phase}",
      ]),
    ).toBe("Bound");
    expect(getChild(ns, "service", "callback-support").metadata.labels).toMatchObject({
      "app.kubernetes.io/managed-by": "callback-operator",
    });
    const ingress = kubectlJson<{
      spec: { rules: { http: { paths: { path: string; pathType: string }[] } }[] };
    }>(["get", "-n", ns, "ingress", "callback-support"]);
    expect(ingress.spec.rules[0]?.http.paths.map((p) => p.path)).toEqual([
      "/genesys/1/service/callback/callback-support",
      "/genesys/2/service/callback/callback-support",
    ]);
    expect(stored.status?.url).toBe(
      `http://callback-support.${ns}.svc.cluster.local/genesys/1/service/callback/callback-support`,
    );
    expect(condition(stored, "Ready")?.status).toBe("True");
    expect(stored.status?.observedGeneration).toBe(stored.metadata.generation);
  });

  it("is found by its groups, and changing _service_groups moves the labels on it and every child", async () => {
    const ns = createNamespace("groups");
    const base = { scenario: "User-Terminated-Immediate" };
    apply(service("alpha", { ...base, options: { _service_groups: "support" } }), ns);
    apply(service("beta", { ...base, options: { _service_groups: "support, sales" } }), ns);
    apply(service("gamma", { ...base, options: { _service_groups: "sales" } }), ns);
    for (const name of ["alpha", "beta", "gamma"]) waitReady(ns, name);
    const names = (selector: string): string[] =>
      kubectl(["get", "cbs", "-n", ns, "-l", selector, "-o", "name"]).trim().split("\n").sort();
    expect(names("group.callback-operator.io/support")).toEqual([
      "callbackservice.callback-operator.io/alpha",
      "callbackservice.callback-operator.io/beta",
    ]);
    expect(names("callback-operator.io/template=callback")).toHaveLength(3);
    expect(getService(ns, "beta").status?.serviceGroups).toEqual(["support", "sales"]);

    apply(service("beta", { ...base, options: { _service_groups: "sales" } }), ns);
    await expect
      .poll(() => names("group.callback-operator.io/support"), poll)
      .toEqual(["callbackservice.callback-operator.io/alpha"]);
    for (const [kind, name] of [
      ["configmap", "service.beta"],
      ["statefulset", "beta"],
      ["service", "beta"],
      ["ingress", "beta"],
    ] as const) {
      await expect
        .poll(
          () => getChild(ns, kind, name).metadata.labels?.["group.callback-operator.io/support"],
          poll,
        )
        .toBeUndefined();
      expect(getChild(ns, kind, name).metadata.labels?.["group.callback-operator.io/sales"]).toBe(
        "true",
      );
    }
  });

  it("rolls its workload when spec.options changes, and observedGeneration follows generation", async () => {
    const ns = createNamespace("edit");
    apply(
      service("edit", { scenario: "User-Terminated-Immediate", options: { _ttl: "3600" } }),
      ns,
    );
    waitReady(ns, "edit");
    const before = getChild(ns, "statefulset", "edit").spec?.template?.metadata?.annotations?.[
      "callback-operator.io/config-hash"
    ];
    apply(
      service("edit", { scenario: "User-Terminated-Immediate", options: { _ttl: "7200" } }),
      ns,
    );
    await expect
      .poll(() => getChild(ns, "configmap", "service.edit").data?.["_ttl"], poll)
      .toBe("7200");
    const after = getChild(ns, "statefulset", "edit").spec?.template?.metadata?.annotations?.[
      "callback-operator.io/config-hash"
    ];
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await expect
      .poll(() => {
        const s = getService(ns, "edit");
        return (
          s.status?.observedGeneration === s.metadata.generation &&
          condition(s, "Ready")?.status === "True"
        );
      }, poll)
      .toBe(true);
    expect(getService(ns, "edit").status?.configHash).toBe(after);
    // The rollout: the StatefulSet's pod template has two revisions, the pod runs the second.
    const revisions = kubectlJson<{ items: unknown[] }>([
      "get",
      "controllerrevisions",
      "-n",
      ns,
      "-l",
      "callback-operator.io/service=edit",
    ]);
    expect(revisions.items.length).toBe(2);
    const status = kubectlJson<{ status: { currentRevision?: string; updateRevision?: string } }>([
      "get",
      "statefulset",
      "-n",
      ns,
      "edit",
    ]).status;
    expect(status.currentRevision).toBe(status.updateRevision);
  });

  it("follows a template default it does not override", async () => {
    const ns = createNamespace("tpl");
    const template = uniqueName("tpl");
    const templateObject = (ttl: string): unknown => ({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "ServiceTemplate",
      metadata: { name: template },
      spec: {
        options: [
          { name: "_ttl", type: "integer", default: ttl, mandatory: true },
          {
            name: "_call_direction",
            type: "enum",
            enum: ["USERORIGINATED", "USERTERMINATED"],
            default: "USERTERMINATED",
          },
        ],
        scenarios: [{ name: "Only", values: { _call_direction: "USERORIGINATED" } }],
      },
    });
    kubectl(["apply", "--server-side", "--field-manager=test-user", "-f", "-"], {
      input: stringify(templateObject("100")),
    });
    apply(service("follower", { template, scenario: "Only" }), ns);
    apply(service("pinned", { template, scenario: "Only", options: { _ttl: "999" } }), ns);
    waitReady(ns, "follower");
    waitReady(ns, "pinned");
    expect(getChild(ns, "configmap", "service.follower").data).toEqual({
      _call_direction: "USERORIGINATED",
      _ttl: "100",
    });
    kubectl(["apply", "--server-side", "--field-manager=test-user", "-f", "-"], {
      input: stringify(templateObject("200")),
    });
    await expect
      .poll(() => getChild(ns, "configmap", "service.follower").data?.["_ttl"], poll)
      .toBe("200");
    expect(getChild(ns, "configmap", "service.pinned").data?.["_ttl"]).toBe("999");
    await expect
      .poll(
        () =>
          kubectlJson<{ status?: { serviceCount?: number } }>(["get", "svctpl", template]).status
            ?.serviceCount,
        poll,
      )
      .toBe(2);
    kubectl(["delete", "svctpl", template, "--wait=false"]);
  });

  it("is Stalled naming each bad option, and Ready once they are fixed", async () => {
    const ns = createNamespace("invalid");
    apply(
      service("bad", {
        scenario: "User-Terminated-Immediate",
        options: { _wait_for_agent: "maybe", _ttl: "soon", _media_type: "fax" },
      }),
      ns,
    );
    await expect.poll(() => condition(getService(ns, "bad"), "Stalled")?.status, poll).toBe("True");
    const stalled = condition(getService(ns, "bad"), "Stalled");
    expect(stalled?.reason).toBe("InvalidOptions");
    for (const name of ["_wait_for_agent", "_ttl", "_media_type"])
      expect(stalled?.message).toContain(name);
    expect(tryKubectl(["get", "configmap", "-n", ns, "service.bad"]).status).not.toBe(0);
    const events = kubectl([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "involvedObject.name=bad",
      "-o",
      "jsonpath={.items[*].reason}",
    ]);
    expect(events).toContain("InvalidOptions");

    apply(
      service("bad", {
        scenario: "User-Terminated-Immediate",
        options: { _wait_for_agent: "true", _ttl: "60", _media_type: "voice" },
      }),
      ns,
    );
    waitReady(ns, "bad");
    expect(condition(getService(ns, "bad"), "Stalled")).toBeUndefined();
  });

  it("restores a deleted child and reverts a hand edit", async () => {
    const ns = createNamespace("drift");
    apply(service("drift", { scenario: "User-Terminated-Immediate", options: { _ttl: "60" } }), ns);
    waitReady(ns, "drift");
    kubectl(["delete", "-n", ns, "configmap", "service.drift"]);
    await expect
      .poll(() => tryKubectl(["get", "-n", ns, "configmap", "service.drift"]).status, poll)
      .toBe(0);
    expect(getChild(ns, "configmap", "service.drift").data?.["_ttl"]).toBe("60");

    kubectl([
      "patch",
      "-n",
      ns,
      "configmap",
      "service.drift",
      "--type=merge",
      "-p",
      '{"data":{"_ttl":"1"}}',
    ]);
    await expect
      .poll(() => getChild(ns, "configmap", "service.drift").data?.["_ttl"], poll)
      .toBe("60");
    kubectl(["delete", "-n", ns, "service", "drift"]);
    await expect.poll(() => tryKubectl(["get", "-n", ns, "service", "drift"]).status, poll).toBe(0);
  });

  it("never adopts an unowned object of a child's name: ChildConflict, object untouched", async () => {
    const ns = createNamespace("conflict");
    kubectl([
      "create",
      "configmap",
      "service.taken",
      "-n",
      ns,
      "--from-literal=owner=someone-else",
    ]);
    const before = getChild(ns, "configmap", "service.taken");
    apply(service("taken", { scenario: "User-Terminated-Immediate" }), ns);
    await expect
      .poll(() => condition(getService(ns, "taken"), "Stalled")?.reason, poll)
      .toBe("ChildConflict");
    expect(condition(getService(ns, "taken"), "Stalled")?.message).toContain("ConfigMap");
    const after = getChild(ns, "configmap", "service.taken");
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.data).toEqual({ owner: "someone-else" });
    expect(after.metadata.ownerReferences).toBeUndefined();
  });

  it("takes every child with it when deleted, and keeps the embedded database's claim", () => {
    const ns = createNamespace("delete");
    apply(service("gone", { scenario: "User-Terminated-Immediate" }), ns);
    waitReady(ns, "gone");
    kubectl(["delete", "-n", ns, "cbs", "gone"]);
    for (const child of [
      "configmap/service.gone",
      "statefulset/gone",
      "service/gone",
      "ingress/gone",
    ]) {
      kubectl(["wait", "-n", ns, "--for=delete", "--timeout=60s", child]);
    }
    // Retained (spec.api.storage.whenDeleted defaults to Retain): a service of the same name
    // created again finds its callbacks.
    expect(kubectl(["get", "pvc", "-n", ns, "data-gone-0", "-o", "name"]).trim()).toBe(
      "persistentvolumeclaim/data-gone-0",
    );
  });

  it("changes nothing while suspended, and echoes requested-at after a forced reconcile", async () => {
    const ns = createNamespace("suspend");
    apply(
      service("paused", { scenario: "User-Terminated-Immediate", options: { _ttl: "60" } }),
      ns,
    );
    waitReady(ns, "paused");
    apply(
      service("paused", {
        scenario: "User-Terminated-Immediate",
        suspend: true,
        options: { _ttl: "120" },
      }),
      ns,
    );
    await expect
      .poll(() => {
        const s = getService(ns, "paused");
        return s.status?.observedGeneration === s.metadata.generation;
      }, poll)
      .toBe(true);
    expect(condition(getService(ns, "paused"), "Ready")?.reason).toBe("Suspended");
    expect(getChild(ns, "configmap", "service.paused").data?.["_ttl"]).toBe("60");

    apply(
      service("paused", {
        scenario: "User-Terminated-Immediate",
        suspend: false,
        options: { _ttl: "120" },
      }),
      ns,
    );
    await expect
      .poll(() => getChild(ns, "configmap", "service.paused").data?.["_ttl"], poll)
      .toBe("120");
    kubectl([
      "annotate",
      "-n",
      ns,
      "cbs",
      "paused",
      "callback-operator.io/requested-at=2026-11-25T12:00:00Z",
    ]);
    await expect
      .poll(() => getService(ns, "paused").status?.lastHandledReconcileAt, poll)
      .toBe("2026-11-25T12:00:00Z");
  });
});
