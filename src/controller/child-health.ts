// Reads the health of a service's children from what the apiserver reports about them.
import type { KubeObject } from "../runtime/kube-client.ts";

export interface Health {
  readonly ok: boolean;
  readonly message: string;
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
}

/** The workload's health: a Deployment, or the StatefulSet of a service on the embedded database. */
export function workloadHealth(workload: KubeObject | undefined, kind: string): Health {
  return kind === "StatefulSet" ? statefulSetHealth(workload) : deploymentHealth(workload);
}

/**
 * Rolled out as `kubectl rollout status` judges a StatefulSet: the controller saw the latest spec,
 * every pod runs the update revision, and each is available.
 */
function statefulSetHealth(statefulSet: KubeObject | undefined): Health {
  if (statefulSet === undefined)
    return { ok: false, message: "The StatefulSet does not exist yet" };
  const raw = (statefulSet["status"] ?? {}) as StatefulSetStatus;
  const desired = ((statefulSet["spec"] ?? {}) as { replicas?: number }).replicas ?? 1;
  if ((raw.observedGeneration ?? 0) < (statefulSet.metadata.generation ?? 0)) {
    return {
      ok: false,
      message: "The StatefulSet controller has not observed the latest change yet",
    };
  }
  const updated = raw.updatedReplicas ?? 0;
  if (updated < desired || (desired > 0 && raw.currentRevision !== raw.updateRevision)) {
    return { ok: false, message: `${String(updated)} of ${String(desired)} replicas updated` };
  }
  const surplus = (raw.replicas ?? 0) - desired;
  if (surplus > 0) {
    return { ok: false, message: `${String(surplus)} old replicas are pending termination` };
  }
  const available = raw.availableReplicas ?? 0;
  if (available < desired) {
    return { ok: false, message: `${String(available)} of ${String(desired)} replicas available` };
  }
  return { ok: true, message: `${String(desired)} of ${String(desired)} replicas available` };
}

/** Available, as `kubectl rollout status` judges it: the latest template rolled out and available. */
export function deploymentHealth(deployment: KubeObject | undefined): Health {
  if (deployment === undefined) return { ok: false, message: "The Deployment does not exist yet" };
  const raw = (deployment["status"] ?? {}) as DeploymentStatus;
  const status = {
    observedGeneration: raw.observedGeneration ?? 0,
    replicas: raw.replicas ?? 0,
    updated: raw.updatedReplicas ?? 0,
    available: raw.availableReplicas ?? 0,
  };
  const desired = ((deployment["spec"] ?? {}) as { replicas?: number }).replicas ?? 1;
  if (status.observedGeneration < (deployment.metadata.generation ?? 0)) {
    return {
      ok: false,
      message: "The Deployment controller has not observed the latest change yet",
    };
  }
  const progressing = raw.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return { ok: false, message: `The rollout is stuck: ${progressing.message ?? ""}`.trim() };
  }
  if (status.updated < desired) {
    return { ok: false, message: `${status.updated} of ${desired} replicas updated` };
  }
  if (status.replicas > status.updated) {
    return {
      ok: false,
      message: `${status.replicas - status.updated} old replicas are pending termination`,
    };
  }
  if (status.available < desired) {
    return { ok: false, message: `${status.available} of ${desired} replicas available` };
  }
  return { ok: true, message: `${desired} of ${desired} replicas available` };
}

interface RouteParentStatus {
  parentRef?: { name?: string };
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }[];
}

/**
 * An Ingress is admitted once it exists (ingress controllers report no acceptance). An HTTPRoute
 * is accepted when every Gateway it names says Accepted=True for its latest generation.
 */
export function routeHealth(route: KubeObject | undefined): Health {
  if (route === undefined) return { ok: false, message: "The route does not exist yet" };
  if (route.kind === "Ingress") return { ok: true, message: "The Ingress exists" };
  const parents = ((route["status"] ?? {}) as { parents?: RouteParentStatus[] }).parents ?? [];
  const refs = ((route["spec"] ?? {}) as { parentRefs?: unknown[] }).parentRefs ?? [];
  if (parents.length < refs.length) {
    return { ok: false, message: "Waiting for the Gateway to accept the HTTPRoute" };
  }
  const refused = parents.find(
    (parent) => parent.conditions?.find((c) => c.type === "Accepted")?.status !== "True",
  );
  if (refused !== undefined) return { ok: false, message: refusal(refused) };
  return { ok: true, message: "Accepted by every parent Gateway" };
}

function refusal(parent: RouteParentStatus): string {
  const accepted = parent.conditions?.find((c) => c.type === "Accepted");
  const detail = accepted?.message === undefined ? "" : `: ${accepted.message}`;
  return `Gateway ${parent.parentRef?.name ?? "(unnamed)"} has not accepted the HTTPRoute${detail}`;
}
