// REST paths of the kinds the operator reads and writes.
import { apiVersion, kinds } from "../api/group.ts";

interface Resource {
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const resources = {
  ConfigMap: { apiVersion: "v1", plural: "configmaps", namespaced: true },
  Service: { apiVersion: "v1", plural: "services", namespaced: true },
  Deployment: { apiVersion: "apps/v1", plural: "deployments", namespaced: true },
  StatefulSet: { apiVersion: "apps/v1", plural: "statefulsets", namespaced: true },
  Ingress: { apiVersion: "networking.k8s.io/v1", plural: "ingresses", namespaced: true },
  HTTPRoute: { apiVersion: "gateway.networking.k8s.io/v1", plural: "httproutes", namespaced: true },
  CallbackService: { apiVersion, plural: kinds.callbackService.plural, namespaced: true },
  ServiceTemplate: { apiVersion, plural: kinds.serviceTemplate.plural, namespaced: false },
} as const satisfies Record<string, Resource>;

export type ResourceKind = keyof typeof resources;

/** The kinds a CallbackService owns, in the order they are applied. */
export const childKinds = [
  "ConfigMap",
  "Deployment",
  "StatefulSet",
  "Service",
  "Ingress",
  "HTTPRoute",
] as const;
export type ChildKind = (typeof childKinds)[number];

export function isChildKind(kind: string): kind is ChildKind {
  return (childKinds as readonly string[]).includes(kind);
}

function groupPath(version: string): string {
  return version === "v1" ? "/api/v1" : `/apis/${version}`;
}

/** The collection: all namespaces when `namespace` is undefined (or the kind is cluster-scoped). */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const resource: Resource = resources[kind];
  const scope = resource.namespaced && namespace !== undefined ? `/namespaces/${namespace}` : "";
  return `${groupPath(resource.apiVersion)}${scope}/${resource.plural}`;
}

export function objectPath(
  kind: ResourceKind,
  namespace: string | undefined,
  name: string,
): string {
  return `${collectionPath(kind, namespace)}/${name}`;
}
