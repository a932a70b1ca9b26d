// The office-hours and capacity services a callback service names (`_business_hours_service`,
// `_capacity_service`; gms-reference-2.md §2.3, §3): whether each exists in the service's namespace
// and is of the right serviceType, reported in status.warnings; and which services name a given
// one, so that its creation, deletion or change of template reconciles them again.
import type { CallbackService } from "../api/callback-service.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import {
  isLinkableName,
  linkedServiceOptions,
  linkedServiceTypes,
} from "../render/linked-services.ts";
import type { Cache } from "../runtime/informer.ts";

/** What is wrong with the services the effective options name; empty when each is usable. */
export function linkedServiceWarnings(
  service: CallbackService,
  options: Readonly<Record<string, string>>,
  services: Cache<CallbackService>,
  templates: Cache<ServiceTemplate>,
): string[] {
  const namespace = service.metadata.namespace ?? "default";
  const warnings: string[] = [];
  for (const option of linkedServiceOptions) {
    const name = options[option]?.trim() ?? "";
    // An unusable name is reported by render.
    if (!isLinkableName(name)) continue;
    const kind = linkedServiceTypes[option];
    const linked = services.get(`${namespace}/${name}`);
    if (linked === undefined) {
      warnings.push(
        `option ${option}: the ${kind} service ${name} does not exist in namespace ${namespace}, so the Callback API refuses the requests that need it; create a CallbackService ${name} with spec.template: ${kind} (see examples/office-hours.yaml), or correct ${option}`,
      );
      continue;
    }
    const serviceType = templates.get(linked.spec.template)?.spec.serviceType;
    if (serviceType !== kind) {
      const is =
        serviceType === undefined
          ? `its ServiceTemplate ${linked.spec.template} does not exist`
          : `its ServiceTemplate ${linked.spec.template} has serviceType ${serviceType}`;
      warnings.push(
        `option ${option}: CallbackService ${name} is not ${article(kind)} ${kind} service (${is}); name a service made from a template with serviceType ${kind}, or set spec.template of ${name} to one`,
      );
    }
  }
  return warnings;
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");

/**
 * The names a service's options link to, as far as the cache can tell without rendering: its own
 * spec.options, else its scenario's values, else the template's defaults.
 */
export function linkedNames(
  service: CallbackService,
  templates: Cache<ServiceTemplate>,
): readonly string[] {
  const template = templates.get(service.spec.template)?.spec;
  const scenario = template?.scenarios.find((s) => s.name === service.spec.scenario)?.values;
  const removed = service.spec.removedOptions ?? [];
  return linkedServiceOptions.flatMap((option) => {
    const value =
      service.spec.options?.[option] ??
      scenario?.[option] ??
      template?.options.find((o) => o.name === option)?.default;
    const name = value?.trim() ?? "";
    return name === "" || removed.includes(option) ? [] : [name];
  });
}

/** Which services (namespace/name) name which: updated on each service event. */
export class ReferrerIndex {
  readonly #targets = new Map<string, readonly string[]>();
  readonly #referrers = new Map<string, Set<string>>();

  /** Records that `key` (namespace/name) names `names`, in its namespace. */
  set(key: string, namespace: string, names: readonly string[]): void {
    this.delete(key);
    const targets = names.map((name) => `${namespace}/${name}`);
    if (targets.length === 0) return;
    this.#targets.set(key, targets);
    for (const target of targets) {
      const referrers = this.#referrers.get(target) ?? new Set<string>();
      referrers.add(key);
      this.#referrers.set(target, referrers);
    }
  }

  delete(key: string): void {
    for (const target of this.#targets.get(key) ?? []) {
      const referrers = this.#referrers.get(target);
      referrers?.delete(key);
      if (referrers?.size === 0) this.#referrers.delete(target);
    }
    this.#targets.delete(key);
  }

  /** The services that name `target` (namespace/name). */
  referrers(target: string): readonly string[] {
    return [...(this.#referrers.get(target) ?? [])];
  }
}
