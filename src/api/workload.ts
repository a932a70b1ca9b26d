// `CallbackService.spec.api`: how the Callback API Deployment of one service runs.
import { z } from "zod";
import { stringMap, boundedMap } from "./bounded-map.ts";
import { celMessage, type CelRule, withCel } from "./cel.ts";
import { objectName, secretKeyPattern } from "./kubernetes-names.ts";
import { limits } from "./limits.ts";

const secretName = objectName().describe(
  "Name of a Secret in the namespace of the CallbackService.",
);

function secretKeyRef(description: string, defaultKey: string, keyDescription: string) {
  return z
    .object({
      name: secretName,
      key: z
        .string()
        .min(1)
        .max(limits.objectName)
        .regex(new RegExp(secretKeyPattern))
        .default(defaultKey)
        .describe(keyDescription),
    })
    .describe(description);
}

const quantityMessages = {
  invalid: (field: string, name: string, value: string): string =>
    `${field}.${name}: "${value}" is not a Kubernetes quantity; use e.g. 500m or 2 for CPU, 256Mi or 1Gi for memory`,
} as const;

function quantityMap(field: string, description: string) {
  const bad = "self.filter(k, !isQuantity(self[k]))[0]";
  const rule: CelRule = {
    rule: "self.all(k, isQuantity(self[k]))",
    message: `${field}: every value must be a Kubernetes quantity, e.g. 500m or 256Mi`,
    messageExpression: celMessage(
      (name, value) => quantityMessages.invalid(field, name, value),
      bad,
      `self[${bad}]`,
    ),
  };
  return withCel(stringMap(limits.resources, limits.quantity), [rule]).describe(description);
}

const toleration = z.object({
  key: z
    .string()
    .max(limits.qualifiedName)
    .optional()
    .describe(
      "Taint key the toleration applies to; empty with operator Exists matches all taints.",
    ),
  operator: z
    .enum(["Exists", "Equal"])
    .optional()
    .describe("Exists or Equal (the default): how key and value are compared."),
  value: z
    .string()
    .max(limits.labelValue)
    .optional()
    .describe("Taint value the toleration matches with operator Equal."),
  effect: z
    .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
    .optional()
    .describe("Taint effect to match; all effects when omitted."),
  tolerationSeconds: z
    .int()
    .min(0)
    .optional()
    .meta({ format: "int64" })
    .describe("For NoExecute: how long the pod stays bound after the taint appears."),
});

/** An object passed through unchanged to the pod spec; the apiserver checks it in the Deployment. */
function passThrough(maxProperties: number, description: string) {
  return boundedMap(z.unknown(), maxProperties)
    .meta({ "x-kubernetes-preserve-unknown-fields": true })
    .describe(description);
}

const storageSizeMessage = (value: string): string =>
  `spec.api.storage.size: "${value}" is not a Kubernetes quantity; use a size such as 1Gi or 500Mi`;

// CEL's string(int) has an unbounded estimated cost, so this message cannot show the number.
const needDatabase =
  "spec.api.replicas: more than 1 replica needs spec.api.databaseSecretRef (a PostgreSQL database shared by the replicas); without it the service uses embedded PGlite, which allows 1 replica only";

export const apiSpecSchema = withCel(
  z.object({
    replicas: z
      .int()
      .min(0)
      .max(50)
      .default(1)
      .describe(
        "Number of Callback API pods. More than 1 needs databaseSecretRef, since the embedded database serves one pod only. 0 stops the service but keeps its configuration.",
      ),
    image: z
      .string()
      .min(1)
      .max(limits.image)
      .optional()
      .describe(
        "Container image of the Callback API, overriding the operator's default (the operator's own image, command callback-api).",
      ),
    resources: z
      .object({
        requests: quantityMap(
          "spec.api.resources.requests",
          "Minimum resources per pod, e.g. cpu: 100m, memory: 128Mi.",
        ).optional(),
        limits: quantityMap(
          "spec.api.resources.limits",
          "Maximum resources per pod, e.g. memory: 256Mi.",
        ).optional(),
      })
      .optional()
      .describe(
        "CPU and memory of the Callback API container; the operator's defaults when omitted.",
      ),
    nodeSelector: stringMap(limits.nodeSelector, limits.labelValue)
      .optional()
      .describe("Node labels a pod's node must have."),
    tolerations: z
      .array(toleration)
      .max(limits.tolerations)
      .optional()
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe("Taints the pods tolerate (core/v1 Toleration)."),
    affinity: passThrough(
      3,
      "Pod affinity rules (core/v1 Affinity), passed to the pods unchanged.",
    ).optional(),
    topologySpreadConstraints: z
      .array(passThrough(16, "One core/v1 TopologySpreadConstraint."))
      .max(limits.topologySpreadConstraints)
      .optional()
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe(
        "How pods spread across zones or nodes (core/v1 TopologySpreadConstraint), passed unchanged; the operator fills in labelSelector when omitted.",
      ),
    podAnnotations: stringMap(limits.annotations, limits.annotationValue)
      .optional()
      .describe("Annotations added to the pods, e.g. for a service mesh or log shipper."),
    databaseSecretRef: secretKeyRef(
      "PostgreSQL database shared by all pods of the service: a Secret key holding a connection URL (postgres://user:password@host:5432/db). When omitted, the service stores callbacks in embedded PGlite, which allows only one replica.",
      "url",
      "Key in the Secret holding the connection URL.",
    ).optional(),
    storage: z
      .object({
        size: withCel(z.string().min(1).max(limits.quantity), [
          {
            rule: "isQuantity(self)",
            message: storageSizeMessage("(the value)"),
            messageExpression: celMessage(storageSizeMessage, "self"),
          },
        ])
          .optional()
          .describe(
            "Size of the volume claim that holds the embedded database, e.g. 1Gi; the operator's default (--default-storage-size, 1Gi) when omitted. Read when the claim is created: a claim is never resized by the operator (expand it with kubectl if its StorageClass allows).",
          ),
        storageClassName: objectName()
          .optional()
          .describe(
            "StorageClass of the volume claim; the operator's default (--default-storage-class), else the cluster's default StorageClass, when omitted. Read when the claim is created.",
          ),
        whenDeleted: z
          .enum(["Retain", "Delete"])
          .default("Retain")
          .describe(
            "What happens to the embedded database's volume claim when the CallbackService is deleted. Retain (the default): the claim data-<service>-0 stays, and a CallbackService created again with the same name finds its callbacks. Delete: the claim and every stored callback are deleted with the service.",
          ),
      })
      .optional()
      .describe(
        "Persistent storage of the embedded PGlite database, used when the service has no PostgreSQL (no databaseSecretRef and no operator default): one pod at a time (a StatefulSet) on a volume claim that outlives pods, rollouts and upgrades. Ignored, with a status warning, when the service uses PostgreSQL.",
      ),
    passwordSecretRef: secretKeyRef(
      "GMS per-service HTTP Basic authentication: a Secret key holding the password of the user named by the username option. Requests without these credentials get 401. Set together with spec.options.username.",
      "password",
      "Key in the Secret holding the password.",
    ).optional(),
    adminSecretRef: z
      .object({ name: secretName })
      .optional()
      .describe(
        "Credentials of the GMS admin endpoints (/genesys/1/admin/callback/...: queues, cancel, reportcancelled, watermarks, services) of this service's Callback API: a Secret whose keys username and password hold the HTTP Basic user and password. The admin sees the callbacks of every service sharing the database. Overrides the operator's --admin-credentials-secret; without either, admin endpoints answer 403. The password is re-read on each admin request, so rotating it needs no restart; a new username takes effect when the pods restart (kubectl rollout restart). A missing Secret or key keeps the pods from starting (Ready=False, reason DeploymentUnavailable).",
      ),
  }),
  [
    {
      rule: "!has(self.replicas) || self.replicas <= 1 || has(self.databaseSecretRef)",
      message: needDatabase,
      messageExpression: celMessage(() => needDatabase),
    },
  ],
).describe(
  "How the Callback API of this service runs: replicas, image, resources, scheduling and storage.",
);
