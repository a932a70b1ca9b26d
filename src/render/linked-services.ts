// The services a callback service names by option, each a section-only service of one GMS
// serviceType (gms-reference-2.md §2.3, §3): `_business_hours_service` an office-hours service,
// `_capacity_service` a capacity service. The pod mounts their ConfigMaps; the controller checks
// that they exist (src/controller/linked-services.ts).
import { dns1035LabelPattern } from "../api/kubernetes-names.ts";
import { limits } from "../api/limits.ts";

/** Option → the serviceType of the service it names. */
export const linkedServiceTypes = {
  _business_hours_service: "office-hours",
  _capacity_service: "capacity",
} as const;

export type LinkedServiceOption = keyof typeof linkedServiceTypes;

export const linkedServiceOptions = Object.keys(linkedServiceTypes) as LinkedServiceOption[];

/** A CallbackService's name is a Service's: a DNS-1035 label. */
export const maxLinkedNameLength = limits.labelValue;
const linkable = new RegExp(dns1035LabelPattern);

/** Whether `name` can be the name of a CallbackService, so of a ConfigMap `service.<name>`. */
export function isLinkableName(name: string): boolean {
  return name.length <= maxLinkedNameLength && linkable.test(name);
}
