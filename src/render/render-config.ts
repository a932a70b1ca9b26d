// Operator-wide settings that shape every service's children; each has a flag and an environment
// variable (docs/configuration.md).
import { defaultClusterDomain } from "../api/service-address.ts";

export const routingModes = ["ingress", "httproute"] as const;
export type RoutingMode = (typeof routingModes)[number];

export interface GatewayRef {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly sectionName?: string | undefined;
}

export interface RenderConfig {
  /** Image of the Callback API (the operator's own image, which holds both commands). */
  readonly image: string;
  readonly imagePullPolicy: "Always" | "IfNotPresent" | "Never";
  /** How a service is exposed when its spec.route names no kind. */
  readonly routingMode: RoutingMode;
  /** Host of every route unless spec.route.host says otherwise; empty: any host. */
  readonly defaultHost: string;
  /** Ingress class of every Ingress unless spec.route says otherwise; empty: the cluster default. */
  readonly ingressClassName: string;
  /** Gateways every HTTPRoute attaches to unless spec.route.parentRefs says otherwise. */
  readonly gatewayParentRefs: readonly GatewayRef[];
  /** Scheme of status.url for routed hosts (TLS usually ends at the ingress or gateway). */
  readonly urlScheme: "http" | "https";
  /** Kubernetes cluster domain, for the in-cluster URL of a service without a host. */
  readonly clusterDomain: string;
  /**
   * Secret key, in each service's own namespace, holding the PostgreSQL URL of services whose
   * spec.api names no databaseSecretRef; embedded PGlite when unset.
   */
  readonly defaultDatabaseSecret?: { readonly name: string; readonly key: string } | undefined;
  /**
   * Secret, in each service's own namespace, whose keys `username` and `password` are the admin
   * credentials of services whose spec.api names no adminSecretRef; admin endpoints off when unset.
   */
  readonly adminCredentialsSecret?: string | undefined;
  /** Size of the embedded database's volume claim unless spec.api.storage.size says otherwise. */
  readonly defaultStorageSize: string;
  /** StorageClass of that claim unless spec.api.storage says otherwise; empty: the cluster default. */
  readonly defaultStorageClass: string;
}

export const defaultRenderConfig: RenderConfig = {
  image: "ghcr.io/callback-operator/callback-operator:0.1.0",
  imagePullPolicy: "IfNotPresent",
  routingMode: "ingress",
  defaultHost: "",
  ingressClassName: "",
  gatewayParentRefs: [],
  urlScheme: "https",
  clusterDomain: defaultClusterDomain,
  defaultStorageSize: "1Gi",
  defaultStorageClass: "",
};
