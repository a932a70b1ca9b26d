// The Kubernetes objects of one service, built from its spec and effective options. Pure data:
// the controller applies them with server-side apply, so each holds only the fields we own.
import type { CallbackService } from "../api/callback-service.ts";
import { apiVersion, kinds } from "../api/group.ts";
import { servicePort } from "../api/service-address.ts";
import type { GatewayRef, RenderConfig } from "./render-config.ts";

export interface ChildObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly ownerReferences: readonly Record<string, unknown>[];
  };
  readonly [field: string]: unknown;
}

/** Where the mounted section lives in the pod; the Callback API reads one file per option. */
export const configMountPath = "/etc/callback-operator/service";
/**
 * Where the sections of the office-hours and capacity services a service names are mounted, one
 * directory each. A sibling of the config mount, never inside it: runc cannot create a mount point
 * inside a read-only ConfigMap volume.
 */
export const servicesMountPath = "/etc/callback-operator/services";
const dataPath = "/var/lib/callback-api";
/** The admin password's own volume: a Secret volume, updated in place when the Secret rotates. */
const adminMountPath = "/etc/callback-operator/admin";
const adminVolume = "admin";
const apiPort = 8080;
/** The Callback API's default --metrics-port: /metrics is never on the routed API port. */
const metricsPort = 9464;
const configHashAnnotation = "callback-operator.io/config-hash";

/** The GMS paths a service answers at: v1 for everything, v2 for availability. */
export function servicePaths(name: string): readonly string[] {
  return [`/genesys/1/service/callback/${name}`, `/genesys/2/service/callback/${name}`];
}

/** `service.{name}`, as GMS names the section. */
export function configMapName(name: string): string {
  return `service.${name}`;
}

export interface ChildContext {
  readonly service: CallbackService;
  readonly config: RenderConfig;
  /** Labels every child carries (managed-by, service, template, groups). */
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
}

function meta(
  ctx: ChildContext,
  name: string,
  annotations?: Readonly<Record<string, string>>,
): ChildObject["metadata"] {
  const { metadata } = ctx.service;
  return {
    name,
    namespace: metadata.namespace ?? "default",
    labels: ctx.labels,
    ...(annotations === undefined || Object.keys(annotations).length === 0 ? {} : { annotations }),
    ownerReferences: [
      {
        apiVersion,
        kind: kinds.callbackService.kind,
        name: metadata.name,
        uid: metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
}

export function configMap(
  ctx: ChildContext,
  options: Readonly<Record<string, string>>,
): ChildObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(ctx, configMapName(ctx.service.metadata.name)),
    data: options,
  };
}

export function service(ctx: ChildContext): ChildObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(ctx, ctx.service.metadata.name),
    spec: {
      type: "ClusterIP",
      selector: ctx.selector,
      ports: [{ name: "http", port: servicePort, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/**
 * Resources of a service that sets none. Embedded PGlite runs PostgreSQL compiled to WebAssembly
 * inside Node: its start-up peaks far above a PostgreSQL client's whole footprint, and a limit below
 * that peak gets the pod OOM-killed before it serves (measured on the real node:
 * docs/adr/0072-default-memory-by-storage.md).
 */
function defaultResources(embedded: boolean): Record<string, Record<string, string>> {
  return embedded
    ? { requests: { cpu: "50m", memory: "640Mi" }, limits: { memory: "1536Mi" } }
    : { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "256Mi" } };
}

/** How long a terminating pod keeps serving before SIGTERM (kube-proxy's endpoint lag). */
const preStopSeconds = 3;

/**
 * Where the service keeps its callbacks: the PostgreSQL URL's Secret key, or undefined for the
 * embedded database (a StatefulSet's volume claim).
 */
export function databaseOf(
  ctx: Pick<ChildContext, "service" | "config">,
): { readonly name: string; readonly key: string } | undefined {
  return ctx.service.spec.api?.databaseSecretRef ?? ctx.config.defaultDatabaseSecret;
}

/**
 * The Secret whose `username` and `password` keys are the admin credentials of the service's
 * Callback API: its own spec.api.adminSecretRef, else the operator's default; none turns the admin
 * endpoints off. Like the other Secrets, only named here: the kubelet reads it.
 */
function adminSecretOf(ctx: Pick<ChildContext, "service" | "config">): string | undefined {
  const own = ctx.service.spec.api?.adminSecretRef?.name;
  if (own !== undefined) return own;
  const fallback = ctx.config.adminCredentialsSecret;
  return fallback === undefined || fallback === "" ? undefined : fallback;
}

/**
 * The Callback API's workload. With PostgreSQL, a Deployment: stateless pods, rolled with a surge
 * so that a change refuses no request. With the embedded database, a StatefulSet of one pod on a
 * volume claim: the claim outlives pods, rollouts, upgrades and (by default) the service, and the
 * StatefulSet never runs two pods of one identity, so two PGlite processes never open one data
 * directory, not even while a node is unreachable (docs/adr/0073-embedded-database-on-a-statefulset.md).
 */
export function workload(
  ctx: ChildContext,
  configHash: string,
  linked: readonly string[],
): ChildObject {
  const { name } = ctx.service.metadata;
  const replicas = ctx.service.spec.api?.replicas ?? 1;
  const template = podTemplate(ctx, configHash, linked);
  if (databaseOf(ctx) !== undefined) {
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(ctx, name),
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: ctx.selector },
        // No pod is taken out before its replacement is ready: with two replicas or more, a
        // change refuses no request.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template,
      },
    };
  }
  const storage = ctx.service.spec.api?.storage;
  const className = storage?.storageClassName ?? ctx.config.defaultStorageClass;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(ctx, name),
    spec: {
      replicas,
      revisionHistoryLimit: 3,
      serviceName: name,
      selector: { matchLabels: ctx.selector },
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate" },
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: storage?.whenDeleted ?? "Retain",
        whenScaled: "Retain",
      },
      template,
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: dataVolume, labels: ctx.selector },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(className === "" ? {} : { storageClassName: className }),
            resources: { requests: { storage: storage?.size ?? ctx.config.defaultStorageSize } },
          },
        },
      ],
    },
  };
}

/** Name of the embedded database's volume: its claims are data-<service>-0. */
const dataVolume = "data";

/** The pod volume of the i-th linked service (a volume name is a DNS label: the service name may be 63 long). */
const linkedVolume = (i: number): string => `linked-service-${String(i)}`;

function podTemplate(
  ctx: ChildContext,
  configHash: string,
  linked: readonly string[],
): Record<string, unknown> {
  const { name } = ctx.service.metadata;
  const api = ctx.service.spec.api;
  const database = databaseOf(ctx);
  const args = [
    "callback-api",
    "--service-name",
    name,
    "--config-dir",
    configMountPath,
    "--services-dir",
    servicesMountPath,
    "--port",
    String(apiPort),
  ];
  if (database === undefined) args.push("--data-dir", dataPath);
  const admin = adminSecretOf(ctx);
  // The user name as an environment variable (read at start), the password as a file the API
  // re-reads on each admin request: a rotated password needs no restart.
  if (admin !== undefined) args.push("--admin-password-file", `${adminMountPath}/password`);
  const env = [
    ...(database === undefined
      ? []
      : [
          {
            name: "CALLBACK_API_DATABASE_URL",
            valueFrom: { secretKeyRef: { name: database.name, key: database.key } },
          },
        ]),
    ...(admin === undefined
      ? []
      : [
          {
            name: "CALLBACK_API_ADMIN_USERNAME",
            valueFrom: { secretKeyRef: { name: admin, key: "username" } },
          },
        ]),
  ];
  // Record URLs (`_url`) name the routed host, not whatever Host or X-Forwarded-Host a request
  // carries (the same host and scheme as status.url).
  const host = ctx.service.spec.route?.host ?? ctx.config.defaultHost;
  if (host !== "") args.push("--external-url", `${ctx.config.urlScheme}://${host}`);
  const container = {
    name: "callback-api",
    image: api?.image ?? ctx.config.image,
    imagePullPolicy: ctx.config.imagePullPolicy,
    args,
    ...(env.length === 0 ? {} : { env }),
    ports: [
      { name: "http", containerPort: apiPort, protocol: "TCP" },
      { name: "metrics", containerPort: metricsPort, protocol: "TCP" },
    ],
    readinessProbe: {
      httpGet: { path: "/readyz", port: "http" },
      periodSeconds: 5,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: "/healthz", port: "http" },
      periodSeconds: 10,
      failureThreshold: 6,
    },
    // Kept serving for a moment after the pod is marked for deletion, so that every proxy and
    // load balancer has dropped it before SIGTERM closes its listener (then in-flight requests
    // drain within the Callback API's 25 s shutdown grace, inside the pod's default 30 s).
    lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
    resources: api?.resources ?? defaultResources(database === undefined),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "config", mountPath: configMountPath, readOnly: true },
      ...linked.map((service, i) => ({
        name: linkedVolume(i),
        mountPath: `${servicesMountPath}/${service}`,
        readOnly: true,
      })),
      { name: "tmp", mountPath: "/tmp" },
      ...(database === undefined ? [{ name: dataVolume, mountPath: dataPath }] : []),
      ...(admin === undefined
        ? []
        : [{ name: adminVolume, mountPath: adminMountPath, readOnly: true }]),
    ],
  };
  return {
    metadata: {
      labels: ctx.selector,
      // A changed section changes the pod template, so every replica rolls onto it, and Ready
      // (the rollout done) means the new options are in force (docs/adr/0074).
      annotations: { ...(api?.podAnnotations ?? {}), [configHashAnnotation]: configHash },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [container],
      volumes: volumes(ctx, linked),
      ...scheduling(ctx),
    },
  };
}

/** The pod's volumes; the embedded database's comes from the StatefulSet's claim, not from here. */
function volumes(ctx: ChildContext, linked: readonly string[]): unknown[] {
  const password = ctx.service.spec.api?.passwordSecretRef;
  // The password joins the options in one directory, but from its Secret: never in the ConfigMap.
  const sources: unknown[] = [{ configMap: { name: configMapName(ctx.service.metadata.name) } }];
  if (password !== undefined) {
    sources.push({
      secret: { name: password.name, items: [{ key: password.key, path: "password" }] },
    });
  }
  return [
    { name: "config", projected: { sources } },
    // Optional: a named service that does not exist yet must not keep the pod from starting; the
    // kubelet mounts an empty directory, which the Callback API reads as missing (and answers the
    // requests that need it with a GMS 400), and fills it once the ConfigMap appears.
    ...linked.map((service, i) => ({
      name: linkedVolume(i),
      configMap: { name: configMapName(service), optional: true },
    })),
    { name: "tmp", emptyDir: {} },
    ...adminVolumes(ctx),
  ];
}

/** The admin password file; the user name comes from the same Secret as an environment variable. */
function adminVolumes(ctx: ChildContext): unknown[] {
  const admin = adminSecretOf(ctx);
  if (admin === undefined) return [];
  return [
    {
      name: adminVolume,
      secret: { secretName: admin, items: [{ key: "password", path: "password" }] },
    },
  ];
}

function scheduling(ctx: ChildContext): Record<string, unknown> {
  const api = ctx.service.spec.api;
  const spread = api?.topologySpreadConstraints?.map((constraint) =>
    "labelSelector" in constraint
      ? constraint
      : { ...constraint, labelSelector: { matchLabels: ctx.selector } },
  );
  return {
    ...(api?.nodeSelector === undefined ? {} : { nodeSelector: api.nodeSelector }),
    ...(api?.tolerations === undefined ? {} : { tolerations: api.tolerations }),
    ...(api?.affinity === undefined ? {} : { affinity: api.affinity }),
    ...(spread === undefined ? {} : { topologySpreadConstraints: spread }),
  };
}

export function ingress(ctx: ChildContext, host: string, className: string): ChildObject {
  const { name } = ctx.service.metadata;
  const paths = servicePaths(name).map((path) => ({
    path,
    pathType: "Prefix",
    backend: { service: { name, port: { name: "http" } } },
  }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta(ctx, name, ctx.service.spec.route?.annotations),
    spec: {
      ...(className === "" ? {} : { ingressClassName: className }),
      rules: [{ ...(host === "" ? {} : { host }), http: { paths } }],
    },
  };
}

export function httpRoute(
  ctx: ChildContext,
  host: string,
  parentRefs: readonly GatewayRef[],
): ChildObject {
  const { name } = ctx.service.metadata;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: meta(ctx, name, ctx.service.spec.route?.annotations),
    spec: {
      parentRefs: parentRefs.map((ref) => ({
        group: "gateway.networking.k8s.io",
        kind: "Gateway",
        name: ref.name,
        ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
        ...(ref.sectionName === undefined ? {} : { sectionName: ref.sectionName }),
      })),
      ...(host === "" ? {} : { hostnames: [host] }),
      rules: [
        {
          matches: servicePaths(name).map((path) => ({
            path: { type: "PathPrefix", value: path },
          })),
          backendRefs: [{ name, port: servicePort }],
        },
      ],
    },
  };
}
