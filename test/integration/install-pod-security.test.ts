// Pod Security: in a namespace that enforces the `restricted` standard, the apiserver admits the
// operator pods of the chart (by helm install, and by `kubectl apply --server-side -f
// dist/install.yaml`) and the Callback API pods the operator creates. Pods are created by
// the ReplicaSet controller and admitted by the PodSecurity admission plugin exactly as in a real
// cluster (kwok only simulates the kubelet), so "Available" means "admitted".
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNamespace,
  installCrds,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  tryKubectl,
  uniqueName,
} from "../support/cluster.ts";
import { chartDir, helm, helmPath, installManifestPath, installRelease } from "../support/helm.ts";
import { repoRoot } from "../../src/control-plane/paths.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const release = uniqueName("psa");
let ns = "";
let operator: RunningOperator | undefined;

interface Deployment {
  metadata?: { name: string };
  spec: {
    replicas: number;
    template: { metadata?: unknown; spec: { volumes?: unknown[] } };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
  status: { readyReplicas?: number };
}

/**
 * A workload's pod template as a Pod, created with a server-side dry run (full admission). A
 * StatefulSet's claims become volumes of the pod, as its controller adds them.
 */
function dryRunPod(workload: Deployment): { status: number; stderr: string } {
  const claims = (workload.spec.volumeClaimTemplates ?? []).map((claim) => ({
    name: claim.metadata.name,
    persistentVolumeClaim: {
      claimName: `${claim.metadata.name}-${workload.metadata?.name ?? ""}-0`,
    },
  }));
  const template = workload.spec.template.spec;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "psa-check-" },
    spec: { ...template, volumes: [...(template.volumes ?? []), ...claims] },
  };
  return tryKubectl(["create", "--dry-run=server", "-n", ns, "-f", "-"], {
    input: JSON.stringify(pod),
  });
}

beforeAll(async () => {
  await helmPath();
  installCrds();
  ns = createNamespace("restricted");
  kubectl([
    "label",
    "namespace",
    ns,
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/enforce-version=latest",
  ]);
}, 900_000);

afterAll(async () => {
  await operator?.stop();
  // The CRDs stay (other tests' CallbackServices live on them), but without the release labels
  // dist/install.yaml gave them: applying crds/ with the same field manager ("kubectl") drops
  // them, so a later helm install of another release owns its labels without a conflict.
  tryKubectl(["apply", "--server-side", "--force-conflicts", "-f", path.join(repoRoot, "crds")]);
  // What else dist/install.yaml created.
  tryKubectl([
    "delete",
    "namespace",
    installRelease.namespace,
    "--ignore-not-found",
    "--wait=false",
  ]);
  tryKubectl([
    "delete",
    "clusterrole,clusterrolebinding",
    "-l",
    `app.kubernetes.io/instance=${installRelease.name}`,
    "--ignore-not-found",
  ]);
  await helm(["uninstall", release, "-n", ns, "--ignore-not-found"], {
    kubeconfig: kubeconfigPath(),
  }).catch(() => undefined);
});

describe("a namespace enforcing the restricted Pod Security Standard", () => {
  it("refuses a pod that does not meet it (the check is live)", () => {
    const result = tryKubectl([
      "run",
      uniqueName("plain"),
      "-n",
      ns,
      "--image=busybox",
      "--dry-run=server",
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it("admits the operator and console pods of the chart", async () => {
    await helm(
      [
        "install",
        release,
        chartDir,
        "-n",
        ns,
        "--set",
        "crds.enabled=false",
        "--wait",
        "--timeout=120s",
      ],
      { kubeconfig: kubeconfigPath() },
    );
    const deployment = kubectlJson<Deployment>([
      "get",
      "deployment",
      `${release}-callback-operator`,
      "-n",
      ns,
    ]);
    expect(deployment.status.readyReplicas).toBe(deployment.spec.replicas);
    const dryRun = dryRunPod(deployment);
    expect(dryRun.stderr).toBe("");
    expect(dryRun.status).toBe(0);
    // The console (console.enabled by default), with its Secrets mounted as a user would.
    await helm(
      [
        "upgrade",
        release,
        chartDir,
        "-n",
        ns,
        "--reuse-values",
        "--set",
        "console.localUsers.secretName=console-users",
        "--set",
        "console.sessionKey.secretName=console-session",
        "--set",
        "console.replicaCount=2",
        "--wait",
        "--timeout=120s",
      ],
      { kubeconfig: kubeconfigPath() },
    );
    const consoleDeployment = kubectlJson<Deployment>([
      "get",
      "deployment",
      `${release}-callback-operator-console`,
      "-n",
      ns,
    ]);
    expect(consoleDeployment.status.readyReplicas).toBe(2);
    const consoleDryRun = dryRunPod(consoleDeployment);
    expect(consoleDryRun.stderr).toBe("");
    expect(consoleDryRun.status).toBe(0);
  });

  it("admits the Callback API pods the operator creates", async () => {
    operator = await startOperator("pod-security");
    kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "callback-operator.io/v1alpha1",
        kind: "CallbackService",
        metadata: { name: "restricted" },
        spec: {
          scenario: "User-Terminated-Immediate",
          options: { _route_point: "8999@SIP_Switch" },
        },
      }),
    });
    kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", "cbs/restricted"]);
    // The default storage: a StatefulSet, whose pod restricted-0 the namespace admitted.
    const workload = kubectlJson<Deployment>(["get", "statefulset", "restricted", "-n", ns]);
    expect(workload.status.readyReplicas).toBe(workload.spec.replicas);
    expect(kubectl(["get", "pod", "restricted-0", "-n", ns, "-o", "name"]).trim()).toBe(
      "pod/restricted-0",
    );
    const dryRun = dryRunPod(workload);
    expect(dryRun.stderr).toBe("");
    expect(dryRun.status).toBe(0);
  });

  it("admits the operator pods of dist/install.yaml, whose namespace enforces restricted", () => {
    // --force-conflicts: earlier test files applied the same CRDs with other field managers.
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", installManifestPath]);
    const labels = kubectlJson<{ metadata: { labels: Record<string, string> } }>([
      "get",
      "namespace",
      installRelease.namespace,
    ]).metadata.labels;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    kubectl([
      "rollout",
      "status",
      `deployment/${installRelease.name}`,
      "-n",
      installRelease.namespace,
      "--timeout=90s",
    ]);
    const deployment = kubectlJson<Deployment>([
      "get",
      "deployment",
      installRelease.name,
      "-n",
      installRelease.namespace,
    ]);
    expect(deployment.status.readyReplicas).toBe(2);
    for (const kind of ["clusterrole", "clusterrolebinding", "poddisruptionbudget", "service"]) {
      const args = kind.startsWith("cluster") ? [] : ["-n", installRelease.namespace];
      expect(
        tryKubectl([
          "get",
          kind,
          "-l",
          `app.kubernetes.io/instance=${installRelease.name}`,
          ...args,
          "-o",
          "name",
        ]).stdout,
        kind,
      ).not.toBe("");
    }
  });
});
