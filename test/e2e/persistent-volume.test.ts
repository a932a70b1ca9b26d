// The plane's default StorageClass binds claims on the real node: a pod of the product image
// writes to a claim that named no class, as uid 1000, and reads it back.
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { realNodeName, realNodeTaint } from "../../src/control-plane/real-node.ts";
import { createNamespace, kubectl, kubectlJson } from "../support/cluster.ts";

describe("a PersistentVolumeClaim without a class", () => {
  it("binds to a local volume of the real node and holds what a pod writes", () => {
    const namespace = createNamespace("pv");
    const claim = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "100Mi" } } },
    };
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "writer", namespace },
      spec: {
        nodeSelector: { [realNodeTaint.key]: realNodeTaint.value },
        tolerations: [{ key: realNodeTaint.key, operator: "Exists", effect: "NoSchedule" }],
        automountServiceAccountToken: false,
        securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
        containers: [
          {
            name: "writer",
            image: inject("productImage").reference,
            imagePullPolicy: "IfNotPresent",
            command: [
              "/usr/local/bin/node",
              "-e",
              "require('fs').writeFileSync('/data/hello', 'kept'); setInterval(() => {}, 1 << 30)",
            ],
            volumeMounts: [{ name: "data", mountPath: "/data" }],
            securityContext: { readOnlyRootFilesystem: true },
          },
        ],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
      },
    };
    kubectl(["apply", "-f", "-"], { input: [claim, pod].map((o) => stringify(o)).join("---\n") });
    kubectl(["wait", "-n", namespace, "--for=condition=Ready", "--timeout=120s", "pod/writer"]);
    const bound = kubectlJson<{
      spec: { storageClassName: string; volumeName: string };
      status: { phase: string };
    }>(["get", "pvc", "-n", namespace, "data"]);
    expect(bound.status.phase).toBe("Bound");
    expect(bound.spec.storageClassName).toBe("real-node-local");
    const volume = kubectlJson<{ spec: { local: { path: string } } }>([
      "get",
      "pv",
      bound.spec.volumeName,
    ]);
    expect(volume.spec.local.path.startsWith(inject("realNode").dataDir)).toBe(true);
    expect(
      kubectl(["get", "pod", "-n", namespace, "writer", "-o", "jsonpath={.spec.nodeName}"]),
    ).toBe(realNodeName);
    const read = kubectl([
      "exec",
      "-n",
      namespace,
      "writer",
      "--",
      "/usr/local/bin/node",
      "-e",
      "process.stdout.write(require('fs').readFileSync('/data/hello', 'utf8'))",
    ]);
    expect(read).toBe("kept");
    kubectl(["delete", "namespace", namespace, "--wait=false"]);
  });
});
