// The chart against the real control plane: helm install → the examples Ready, reconciled by the
// operator with the credentials of the chart's ServiceAccount (the chart's Deployment runs on a
// kwok node, where pods are simulated, so the operator runs here as a process); helm upgrade
// with a changed value rolls the operator Deployment; helm uninstall keeps the CRDs and the
// CallbackServices.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  crdNames,
  createNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  mintServiceAccountKubeconfig,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";
import { applyExamples, exampleNames, waitExamplesReady } from "../support/examples.ts";
import { chartDir, helm, helmPath } from "../support/helm.ts";
import { spawnOperator, type OperatorProcess } from "../support/operator.ts";

const release = uniqueName("cbo");
const fullname = `${release}-callback-operator`;
let ns = "";
let examplesNs = "";
let operator: OperatorProcess | undefined;

interface Deployment {
  metadata: { generation: number };
  spec: { template: { spec: { containers: { args: string[] }[] } } };
  status: { observedGeneration?: number; updatedReplicas?: number; readyReplicas?: number };
}

const deployment = (): Deployment =>
  kubectlJson<Deployment>(["get", "deployment", fullname, "-n", ns]);

async function stopOperator(): Promise<void> {
  const child = operator?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exit;
}

beforeAll(async () => {
  await helmPath();
  ns = createNamespace("helm");
  examplesNs = createNamespace("helm-examples");
}, 900_000);

afterAll(async () => {
  await stopOperator();
  await helm(["uninstall", release, "-n", ns, "--ignore-not-found"], {
    kubeconfig: kubeconfigPath(),
  }).catch(() => undefined);
});

describe("helm install, upgrade and uninstall", () => {
  it("installs the chart, and its ServiceAccount's rights reconcile the examples to Ready", async () => {
    const started = performance.now();
    // --take-ownership: earlier test files applied the same CRDs with kubectl; a user moving
    // from dist/install.yaml to Helm does the same.
    const output = await helm(
      [
        "install",
        release,
        chartDir,
        "-n",
        ns,
        "--take-ownership",
        "--wait",
        "--timeout=120s",
        "--set",
        "replicaCount=2",
      ],
      { kubeconfig: kubeconfigPath() },
    );
    const installSeconds = (performance.now() - started) / 1000;
    // NOTES.txt tells the user how to wait for the built-in template and a service.
    expect(output).toContain("kubectl wait --for=condition=Ready servicetemplate/callback");
    expect(output).toContain("kubectl wait --for=condition=Ready callbackservice/callback-support");
    expect(deployment().status.readyReplicas).toBe(2);
    for (const crd of crdNames) {
      const annotations = kubectlJson<{ metadata: { annotations: Record<string, string> } }>([
        "get",
        "crd",
        crd,
      ]).metadata.annotations;
      expect(annotations["meta.helm.sh/release-name"]).toBe(release);
      expect(annotations["helm.sh/resource-policy"]).toBe("keep");
    }

    const credentials = await mintServiceAccountKubeconfig(ns, fullname);
    operator = await spawnOperator(
      `helm-${release}`,
      [
        "--leader-elect=true",
        `--leader-election-namespace=${ns}`,
        `--leader-election-id=${fullname}`,
      ],
      { kubeconfig: credentials },
    );
    const reconcileStarted = performance.now();
    applyExamples(examplesNs);
    await waitExamplesReady(examplesNs, 90_000);
    const readySeconds = (performance.now() - reconcileStarted) / 1000;
    // It really acted as the ServiceAccount: it holds the chart's Lease under its own name.
    const lease = kubectlJson<{ spec: { holderIdentity?: string } }>([
      "get",
      "lease",
      fullname,
      "-n",
      ns,
    ]);
    expect(lease.spec.holderIdentity).toBeTruthy();
    process.stderr.write(
      `[install-helm] helm install --wait ${installSeconds.toFixed(1)} s; examples Ready ${readySeconds.toFixed(1)} s\n`,
    );
  });

  it("rolls the operator Deployment when helm upgrade changes a value", async () => {
    const before = deployment();
    const replicaSetsBefore = kubectl([
      "get",
      "replicasets",
      "-n",
      ns,
      "-l",
      `app.kubernetes.io/instance=${release}`,
      "-o",
      "name",
    ])
      .trim()
      .split("\n");
    await helm(
      [
        "upgrade",
        release,
        chartDir,
        "-n",
        ns,
        "--reuse-values",
        "--set",
        "controller.logLevel=debug",
        "--wait",
        "--timeout=120s",
      ],
      { kubeconfig: kubeconfigPath() },
    );
    const after = deployment();
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    expect(after.spec.template.spec.containers[0]?.args).toContain("--log-level=debug");
    expect(before.spec.template.spec.containers[0]?.args).toContain("--log-level=info");
    kubectl(["rollout", "status", `deployment/${fullname}`, "-n", ns, "--timeout=60s"]);
    const replicaSetsAfter = kubectl([
      "get",
      "replicasets",
      "-n",
      ns,
      "-l",
      `app.kubernetes.io/instance=${release}`,
      "-o",
      "name",
    ])
      .trim()
      .split("\n");
    // A new ReplicaSet: the pods were replaced, not just the object edited.
    expect(replicaSetsAfter.filter((rs) => !replicaSetsBefore.includes(rs))).toHaveLength(1);
    expect(deployment().status.updatedReplicas).toBe(2);
  });

  it("leaves the CRDs and the CallbackServices in place on helm uninstall", async () => {
    await stopOperator();
    await helm(["uninstall", release, "-n", ns, "--wait", "--timeout=120s"], {
      kubeconfig: kubeconfigPath(),
    });
    expect(tryKubectl(["get", "deployment", fullname, "-n", ns]).status).not.toBe(0);
    expect(tryKubectl(["get", "clusterrole", fullname]).status).not.toBe(0);
    for (const crd of crdNames) expect(tryKubectl(["get", "crd", crd]).status).toBe(0);
    const services = kubectlJson<{ items: { metadata: { name: string } }[] }>([
      "get",
      "callbackservices",
      "-n",
      examplesNs,
    ]).items.map((s) => s.metadata.name);
    expect(services.sort()).toEqual([...exampleNames]);
  });
});
