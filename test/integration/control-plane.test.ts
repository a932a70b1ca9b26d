// Foundation: what the rest of the suite relies on, proven against the real control plane.
import { inject, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { versions } from "../../src/control-plane/versions.ts";
import {
  createNamespace,
  kubectl,
  kubectlJson,
  mintServiceAccountKubeconfig,
  mintUserKubeconfig,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";

const apply = (object: unknown): string =>
  kubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
    input: stringify(object),
  });

describe("the test control plane", () => {
  it("serves the pinned Kubernetes version", () => {
    const version = kubectlJson<{ serverVersion: { gitVersion: string } }>(["version"]);
    if (inject("clusterKind") === "local") {
      expect(version.serverVersion.gitVersion).toBe(`v${versions.kubernetes}`);
    } else {
      expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    }
  });

  it("establishes an applied CRD", () => {
    const group = `${uniqueName("t")}.test.callback-operator.io`;
    apply({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: "object", properties: { spec: { type: "object" } } },
            },
          },
        ],
      },
    });
    kubectl(["wait", "--for=condition=Established", "--timeout=30s", `crd/widgets.${group}`]);
    const crd = kubectlJson<{ status: { conditions: { type: string; status: string }[] } }>([
      "get",
      "crd",
      `widgets.${group}`,
    ]);
    expect(crd.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Established", status: "True" }),
    );
    kubectl(["delete", "crd", `widgets.${group}`, "--wait=false"]);
  });

  it("makes a Deployment Available with ready pods (scheduler + kwok)", () => {
    const ns = createNamespace("deploy");
    apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "example.invalid/web:1" }] },
        },
      },
    });
    kubectl(["wait", "-n", ns, "--for=condition=Available", "--timeout=90s", "deployment/web"]);
    const deployment = kubectlJson<{ status: { readyReplicas?: number } }>([
      "get",
      "-n",
      ns,
      "deployment/web",
    ]);
    expect(deployment.status.readyReplicas).toBe(2);
    const pods = kubectlJson<{
      items: { status: { phase: string }; spec: { nodeName?: string } }[];
    }>(["get", "pods", "-n", ns, "-l", "app=web"]);
    expect(pods.items.map((p) => p.status.phase)).toEqual(["Running", "Running"]);
    expect(pods.items.every((p) => p.spec.nodeName === "kwok-node-0")).toBe(true);
  });

  it("garbage-collects an owned ConfigMap when its owner is deleted", () => {
    const ns = createNamespace("gc");
    apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owner", namespace: ns } });
    const owner = kubectlJson<{ metadata: { uid: string } }>(["get", "-n", ns, "configmap/owner"]);
    apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "owned",
        namespace: ns,
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            name: "owner",
            uid: owner.metadata.uid,
            controller: true,
          },
        ],
      },
    });
    kubectl(["delete", "-n", ns, "configmap/owner"]);
    kubectl(["wait", "-n", ns, "--for=delete", "--timeout=60s", "configmap/owned"]);
    expect(tryKubectl(["get", "-n", ns, "configmap/owned"]).stderr).toContain("NotFound");
  });

  it("denies a restricted user by RBAC until a RoleBinding allows it", async () => {
    const ns = createNamespace("rbac");
    const user = uniqueName("alice");
    const kubeconfig =
      inject("clusterKind") === "local"
        ? await mintUserKubeconfig(user, ["callback-operator:testers"])
        : await mintServiceAccountKubeconfig(ns, user);
    const denied = tryKubectl(["get", "configmaps", "-n", ns], { kubeconfig });
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain("Forbidden");
    const subject =
      inject("clusterKind") === "local"
        ? { kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }
        : { kind: "ServiceAccount", name: user, namespace: ns };
    apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "read-configmaps", namespace: ns },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
    });
    apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "read-configmaps", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-configmaps" },
      subjects: [subject],
    });
    // RBAC is evaluated from the authorizer's informer cache: allow a moment for it to catch up.
    await expect
      .poll(() => tryKubectl(["get", "configmaps", "-n", ns], { kubeconfig }).status, {
        timeout: 10_000,
      })
      .toBe(0);
    expect(tryKubectl(["get", "secrets", "-n", ns], { kubeconfig }).stderr).toContain("Forbidden");
  });

  it("authenticates a ServiceAccount with a minted token", async () => {
    const ns = createNamespace("sa");
    const kubeconfig = await mintServiceAccountKubeconfig(ns, "robot");
    const review = kubectlJson<{ status: { userInfo: { username: string } } }>(["auth", "whoami"], {
      kubeconfig,
    });
    expect(review.status.userInfo.username).toBe(`system:serviceaccount:${ns}:robot`);
  });

  it("accepts an HTTPRoute (Gateway API standard CRDs installed)", () => {
    const ns = createNamespace("route");
    apply({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "callback", namespace: ns },
      spec: {
        parentRefs: [{ name: "gateway" }],
        rules: [
          {
            matches: [
              { path: { type: "PathPrefix", value: "/genesys/1/service/callback/support" } },
            ],
            backendRefs: [{ name: "callback-support", port: 80 }],
          },
        ],
      },
    });
    const route = kubectlJson<{ spec: { rules: unknown[] } }>([
      "get",
      "-n",
      ns,
      "httproute/callback",
    ]);
    expect(route.spec.rules).toHaveLength(1);
    const bad = tryKubectl(["apply", "--server-side", "--field-manager=test", "-f", "-"], {
      input: stringify({
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "bad", namespace: ns },
        spec: {
          rules: [{ matches: [{ path: { type: "PathPrefix", value: "no-leading-slash" } }] }],
        },
      }),
    });
    expect(bad.status).not.toBe(0);
  });
});
