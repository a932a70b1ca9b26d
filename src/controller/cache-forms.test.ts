import { describe, expect, it } from "vitest";
import type { KubeObject } from "../runtime/kube-client.ts";
import {
  cachedChild,
  cachedService,
  configMapDigest,
  project,
  withoutData,
} from "./cache-forms.ts";

const manager = "callback-operator";

/** A Deployment as the apiserver returns it: our apply, server defaults, a foreign edit, status. */
function liveDeployment(): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "support",
      namespace: "cc",
      uid: "u-1",
      resourceVersion: "42",
      generation: 3,
      labels: { "app.kubernetes.io/managed-by": "callback-operator", team: "blue" },
      annotations: {
        "deployment.kubernetes.io/revision": "3",
        "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(2_000),
        "callback-operator.io/config-hash": "abc",
      },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "CallbackService",
          name: "support",
          uid: "s-1",
          controller: true,
        },
      ],
      managedFields: [
        {
          manager,
          operation: "Apply",
          fieldsV1: {
            "f:metadata": {
              "f:annotations": { "f:callback-operator.io/config-hash": {} },
              "f:labels": { "f:app.kubernetes.io/managed-by": {} },
            },
            "f:spec": {
              "f:replicas": {},
              "f:selector": {},
              "f:template": {
                "f:spec": {
                  "f:containers": {
                    'k:{"name":"api"}': {
                      ".": {},
                      "f:name": {},
                      "f:image": {},
                      "f:args": {},
                      "f:ports": {
                        'k:{"containerPort":8080,"protocol":"TCP"}': { "f:containerPort": {} },
                      },
                      "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
                    },
                  },
                },
              },
            },
          },
        },
        {
          manager: "kubectl-edit",
          operation: "Update",
          fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": {} } } } },
        },
        { manager, operation: "Apply", subresource: "status", fieldsV1: { "f:status": {} } },
      ],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "support" } },
      progressDeadlineSeconds: 600,
      template: {
        spec: {
          dnsPolicy: "ClusterFirst",
          containers: [
            {
              name: "api",
              image: "callback-api:1",
              args: ["serve", "--port=8080"],
              imagePullPolicy: "IfNotPresent",
              ports: [{ containerPort: 8080, protocol: "TCP" }],
              env: [
                { name: "A", value: "1" },
                { name: "FOREIGN", value: "2" },
              ],
            },
            { name: "sidecar", image: "proxy:1" },
          ],
        },
      },
    },
    status: { observedGeneration: 3, replicas: 2, availableReplicas: 2 },
  };
}

describe("cachedChild", () => {
  it("keeps the fields the operator applied, its status, identity and ownership, nothing else", () => {
    expect(cachedChild(liveDeployment(), manager)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "support",
        namespace: "cc",
        uid: "u-1",
        resourceVersion: "42",
        generation: 3,
        labels: { "app.kubernetes.io/managed-by": "callback-operator", team: "blue" },
        annotations: { "callback-operator.io/config-hash": "abc" },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "CallbackService",
            name: "support",
            uid: "s-1",
            controller: true,
          },
        ],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "support" } },
        template: {
          spec: {
            containers: [
              {
                name: "api",
                image: "callback-api:1",
                args: ["serve", "--port=8080"],
                ports: [{ containerPort: 8080 }],
                env: [{ name: "A", value: "1" }],
              },
            ],
          },
        },
      },
      status: { observedGeneration: 3, replicas: 2, availableReplicas: 2 },
    });
  });

  it("keeps no spec of an object the operator never applied, but the replicas health reads", () => {
    const live = liveDeployment();
    live.metadata.managedFields = [];
    const cached = cachedChild(live, manager);
    expect(cached["spec"]).toEqual({ replicas: 2 });
    expect(cached.metadata.annotations).toBeUndefined();
    expect(cached["status"]).toEqual(live["status"]);
  });

  it("keeps a ConfigMap's applied data as one digest that the desired data compares by", () => {
    const desired = { kind: "ConfigMap", metadata: { name: "s" }, data: { a: "1", b: "2" } };
    const live: KubeObject = {
      ...desired,
      data: { a: "1", b: "2", foreign: "x" },
      metadata: {
        name: "s",
        managedFields: [
          {
            manager,
            operation: "Apply",
            fieldsV1: { "f:data": { ".": {}, "f:a": {}, "f:b": {} } },
          },
        ],
      },
    };
    const cached = cachedChild(live, manager);
    expect(cached["data"]).toBeUndefined();
    expect(configMapDigest(cached)).toBe(configMapDigest(desired));
    expect(configMapDigest(cached)).not.toBe(
      configMapDigest({ ...desired, data: { a: "1", b: "3" } }),
    );
    expect(configMapDigest(cached)).not.toBe(configMapDigest({ ...desired, data: { a: "1" } }));
    expect(withoutData(desired)).toEqual({ kind: "ConfigMap", metadata: { name: "s" } });
  });
});

describe("project", () => {
  it("keeps a node that names no member whole: a leaf or an atomic value", () => {
    expect(project({ a: 1 }, {})).toEqual({ a: 1 });
    expect(project([1, 2], { ".": {} })).toEqual([1, 2]);
  });

  it("matches list members by key, by value and by index, in the list's order", () => {
    const list = [
      { name: "b", port: 2 },
      { name: "a", port: 1 },
      { name: "c", port: 3 },
    ];
    expect(project(list, { 'k:{"name":"a"}': {}, 'k:{"name":"b"}': { "f:name": {} } })).toEqual([
      { name: "b" },
      { name: "a", port: 1 },
    ]);
    expect(project(["x", { y: 1 }, "z"], { 'v:"z"': {}, 'v:{"y":1}': {} })).toEqual([
      { y: 1 },
      "z",
    ]);
    expect(project(["x", "y"], { "i:1": {} })).toEqual(["y"]);
  });
});

describe("cachedService", () => {
  it("drops managedFields and client-side apply's copy of the object, keeps other annotations", () => {
    const service: KubeObject = {
      kind: "CallbackService",
      metadata: {
        name: "s",
        managedFields: [{ manager: "kubectl" }],
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
          "callback-operator.io/requested-at": "now",
        },
      },
      spec: { template: "callback" },
    };
    expect(cachedService(service)).toEqual({
      kind: "CallbackService",
      metadata: { name: "s", annotations: { "callback-operator.io/requested-at": "now" } },
      spec: { template: "callback" },
    });
  });
});
