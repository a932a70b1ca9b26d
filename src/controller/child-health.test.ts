import { describe, expect, it } from "vitest";
import type { KubeObject } from "../runtime/kube-client.ts";
import { deploymentHealth, routeHealth, workloadHealth } from "./child-health.ts";

const deployment = (status: Record<string, unknown>, generation = 2, replicas = 2): KubeObject => ({
  kind: "Deployment",
  metadata: { name: "d", generation },
  spec: { replicas },
  status,
});

const rolledOut = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };

describe("deploymentHealth, as kubectl rollout status judges it", () => {
  it.each([
    ["missing", undefined, false, "The Deployment does not exist yet"],
    [
      "not yet observed",
      deployment({ ...rolledOut, observedGeneration: 1 }),
      false,
      "has not observed the latest change",
    ],
    [
      "past its progress deadline",
      deployment({
        ...rolledOut,
        conditions: [
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: "quota",
          },
        ],
      }),
      false,
      "The rollout is stuck: quota",
    ],
    [
      "updating",
      deployment({ ...rolledOut, updatedReplicas: 1 }),
      false,
      "1 of 2 replicas updated",
    ],
    [
      "old replicas terminating",
      deployment({ ...rolledOut, replicas: 3 }),
      false,
      "1 old replicas are pending termination",
    ],
    [
      "not yet available",
      deployment({ ...rolledOut, availableReplicas: 1 }),
      false,
      "1 of 2 replicas available",
    ],
    ["available", deployment(rolledOut), true, "2 of 2 replicas available"],
    [
      "one replica by default",
      {
        kind: "Deployment",
        metadata: { name: "d" },
        status: { replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      },
      true,
      "1 of 1 replicas available",
    ],
  ] as const)("%s", (_name, object, ok, message) => {
    const health = deploymentHealth(object);
    expect(health.ok).toBe(ok);
    expect(health.message).toContain(message);
  });
});

const route = (refs: number, parents: unknown[]): KubeObject => ({
  kind: "HTTPRoute",
  metadata: { name: "r" },
  spec: { parentRefs: Array.from({ length: refs }, (_, i) => ({ name: `g${String(i)}` })) },
  status: { parents },
});
const parent = (name: string, status: string, message?: string) => ({
  parentRef: { name },
  conditions: [{ type: "Accepted", status, ...(message === undefined ? {} : { message }) }],
});

describe("routeHealth", () => {
  it.each([
    ["missing", undefined, false, "The route does not exist yet"],
    [
      "an Ingress, once it exists",
      { kind: "Ingress", metadata: { name: "i" } },
      true,
      "The Ingress exists",
    ],
    ["an HTTPRoute no Gateway answered yet", route(1, []), false, "Waiting for the Gateway"],
    [
      "an HTTPRoute one of two Gateways answered",
      route(2, [parent("g0", "True")]),
      false,
      "Waiting for the Gateway",
    ],
    [
      "an HTTPRoute a Gateway refused",
      route(1, [parent("g0", "False", "no listener")]),
      false,
      "Gateway g0 has not accepted the HTTPRoute: no listener",
    ],
    [
      "an HTTPRoute every Gateway accepted",
      route(2, [parent("g0", "True"), parent("g1", "True")]),
      true,
      "Accepted by every parent Gateway",
    ],
  ] as const)("%s", (_name, object, ok, message) => {
    const health = routeHealth(object);
    expect(health.ok).toBe(ok);
    expect(health.message).toContain(message);
  });
});

const statefulSet = (
  status: Record<string, unknown>,
  generation = 2,
  replicas = 1,
): KubeObject => ({
  kind: "StatefulSet",
  metadata: { name: "s", generation },
  spec: { replicas },
  status,
});

const statefulRolledOut = {
  observedGeneration: 2,
  replicas: 1,
  updatedReplicas: 1,
  availableReplicas: 1,
  currentRevision: "s-2",
  updateRevision: "s-2",
};

describe("statefulSetHealth (the embedded database's workload), as kubectl rollout status judges it", () => {
  it.each([
    ["missing", undefined, false, "The StatefulSet does not exist yet"],
    [
      "not yet observed",
      statefulSet({ ...statefulRolledOut, observedGeneration: 1 }),
      false,
      "has not observed the latest change",
    ],
    [
      "the old pod still runs the previous revision (options not yet in force)",
      statefulSet({ ...statefulRolledOut, currentRevision: "s-1" }),
      false,
      "1 of 1 replicas updated",
    ],
    [
      "updated, not yet available",
      statefulSet({ ...statefulRolledOut, availableReplicas: 0 }),
      false,
      "0 of 1 replicas available",
    ],
    ["rolled out and available", statefulSet(statefulRolledOut), true, "1 of 1 replicas available"],
    [
      "scaled to 0 and settled",
      statefulSet(
        { observedGeneration: 2, replicas: 0, currentRevision: "s-1", updateRevision: "s-2" },
        2,
        0,
      ),
      true,
      "0 of 0 replicas available",
    ],
  ])("%s", (_name, object, ok, message) => {
    const health = workloadHealth(object, "StatefulSet");
    expect(health.ok).toBe(ok);
    expect(health.message).toContain(message);
  });

  it("reads a Deployment as a Deployment", () => {
    expect(workloadHealth(undefined, "Deployment").message).toBe(
      "The Deployment does not exist yet",
    );
  });
});
