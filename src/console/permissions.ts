// Who may do what on which service: a person (user name + groups) against the cluster's
// ConsolePermissions (docs/adr/0130). Pure, so every rule is a unit test; the server calls it on
// every JSON API request with the permissions and services the watch holds at that moment.
import {
  consoleRoles,
  type ConsolePermissionSpec,
  type ConsoleRole,
} from "../api/console-permission.ts";

export interface Person {
  readonly username: string;
  readonly groups: readonly string[];
  readonly via: "local" | "oidc";
}

/** What the permissions read of a CallbackService. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  /** Its `_service_groups` (the group labels the operator writes). */
  readonly groups: readonly string[];
}

export const consoleActions = ["view", "cancel", "reschedule", "export"] as const;
export type ConsoleAction = (typeof consoleActions)[number];

const actionsOf: Readonly<Record<ConsoleRole, readonly ConsoleAction[]>> = {
  Administrator: consoleActions,
  Supervisor: consoleActions,
  CallbackReadOnly: ["view"],
};

export interface Grant {
  readonly role: ConsoleRole;
  readonly actions: readonly ConsoleAction[];
}

/** `namespace/name`, how the console names a service everywhere. */
export function serviceKey(service: { readonly namespace: string; readonly name: string }): string {
  return `${service.namespace}/${service.name}`;
}

function holds(person: Person, spec: ConsolePermissionSpec): boolean {
  return spec.subjects.some((subject) =>
    subject.kind === "User"
      ? subject.name === person.username
      : person.groups.includes(subject.name),
  );
}

function covers(spec: ConsolePermissionSpec, service: ServiceRef): boolean {
  const namespaces = spec.namespaces ?? [];
  if (namespaces.length > 0 && !namespaces.includes(service.namespace)) return false;
  const entries = spec.services ?? [];
  if (entries.length === 0) return true;
  const key = serviceKey(service);
  return entries.some(
    (entry) => entry === service.name || entry === key || service.groups.includes(entry),
  );
}

/** The lower the stronger: the order of `consoleRoles`. */
function strength(role: ConsoleRole): number {
  return consoleRoles.indexOf(role);
}

/**
 * Per service key, the person's role there and what it allows: the strongest role among the
 * permissions the person holds that cover the service. A service no permission covers is absent.
 */
export function grantsOf(
  person: Person,
  permissions: Iterable<ConsolePermissionSpec>,
  services: Iterable<ServiceRef>,
): Map<string, Grant> {
  const held = [...permissions].filter((spec) => holds(person, spec));
  const grants = new Map<string, Grant>();
  for (const service of services) {
    let best: ConsoleRole | undefined;
    for (const spec of held) {
      if (!covers(spec, service)) continue;
      if (best === undefined || strength(spec.role) < strength(best)) best = spec.role;
    }
    if (best !== undefined)
      grants.set(serviceKey(service), { role: best, actions: actionsOf[best] });
  }
  return grants;
}
