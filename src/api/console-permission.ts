// ConsolePermission: who may see and do what in the console (issue 18, docs/adr/0130), the GMS way:
// a person's `gms/roles` and `gms/services` as a cluster-scoped object that GitOps can manage.
import { z } from "zod";
import { celMessage, type CelRule, withCel } from "./cel.ts";
import type { CrdSource } from "./crd.ts";
import { apiVersion, kinds } from "./group.ts";
import { limits } from "./limits.ts";
import { objectMetaSchema } from "./object-meta.ts";

/** GMS `gms/roles`, strongest first. */
export const consoleRoles = ["Administrator", "Supervisor", "CallbackReadOnly"] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

export const subjectKinds = ["User", "Group"] as const;

export const consolePermissionLimits = {
  subjects: 100,
  subjectName: 256,
  services: 256,
  /** A service entry: a name, a group name, or `namespace/name`. */
  serviceEntry: limits.labelValue * 2 + 1,
  namespaces: 256,
} as const;

export const consolePermissionMessages = {
  serviceEntry: (entry: string): string =>
    `spec.services: "${entry}" is not a service name, a service group name or namespace/name; use lowercase letters, digits, '-', '_' or '.'`,
} as const;

const serviceEntryPattern =
  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

const serviceEntryRules: readonly CelRule[] = [
  {
    rule: `self.matches('${serviceEntryPattern}')`,
    message: consolePermissionMessages.serviceEntry("the entry"),
    messageExpression: celMessage((entry) => consolePermissionMessages.serviceEntry(entry), "self"),
  },
];

export const consoleSubjectSchema = z
  .object({
    kind: z
      .enum(subjectKinds)
      .describe(
        "User: a person's user name (a local user, or the OIDC username claim). Group: a value of the OIDC groups claim.",
      ),
    name: z
      .string()
      .min(1)
      .max(consolePermissionLimits.subjectName)
      .describe("The user name or group name, compared exactly (case-sensitive)."),
  })
  .describe("One person or group the permission is given to.");

export const consolePermissionSpecSchema = z
  .object({
    subjects: z
      .array(consoleSubjectSchema)
      .min(1)
      .max(consolePermissionLimits.subjects)
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe(
        `Who holds this permission: 1 to ${consolePermissionLimits.subjects} users or groups.`,
      ),
    role: z
      .enum(consoleRoles)
      .describe(
        "The GMS gms/roles value. Administrator: everything, the console's audit log included. Supervisor: view, cancel, reschedule, bulk cancel and CSV export. CallbackReadOnly: view services, counts, callbacks and their details only. A person holding several permissions that cover a service gets the strongest role among them there.",
      ),
    services: z
      .array(
        withCel(z.string().min(1).max(consolePermissionLimits.serviceEntry), serviceEntryRules),
      )
      .max(consolePermissionLimits.services)
      .optional()
      .meta({ "x-kubernetes-list-type": "set" })
      .describe(
        'The GMS gms/services value: the services covered, each a CallbackService name (in any allowed namespace), namespace/name, or a virtual group name of _service_groups (the label group.callback-operator.io/<group>: "true"). Absent or empty: every service.',
      ),
    namespaces: z
      .array(
        z
          .string()
          .min(1)
          .max(limits.labelValue)
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
      )
      .max(consolePermissionLimits.namespaces)
      .optional()
      .meta({ "x-kubernetes-list-type": "set" })
      .describe("Only services in these namespaces are covered. Absent or empty: every namespace."),
  })
  .describe("Who (subjects) may do what (role) on which CallbackServices (services, namespaces).");

export const consolePermissionSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal(kinds.consolePermission.kind),
  metadata: objectMetaSchema,
  spec: consolePermissionSpecSchema,
});

export type ConsolePermission = z.output<typeof consolePermissionSchema>;
export type ConsolePermissionSpec = z.output<typeof consolePermissionSpecSchema>;

export const consolePermissionCrd: CrdSource = {
  names: kinds.consolePermission,
  scope: "Cluster",
  description:
    "ConsolePermission gives users or groups a GMS role (gms/roles) on CallbackServices chosen by name or virtual group (gms/services) in the callback-operator console. Applied without restart; a person without any permission sees no service.",
  spec: consolePermissionSpecSchema,
  rootRules: [],
  printerColumns: [
    { name: "Role", type: "string", jsonPath: ".spec.role" },
    { name: "Services", type: "string", jsonPath: ".spec.services" },
    { name: "Namespaces", type: "string", jsonPath: ".spec.namespaces", priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
