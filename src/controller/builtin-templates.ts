// GMS's builtin templates (callback, office-hours, capacity), kept current on operator upgrade
// without overwriting what a user changed: each is server-side applied with the operator's field
// manager, never forced; fields another manager owns keep that manager's value (docs/adr/0112).
import type { Logger } from "pino";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { annotationKeys, apiVersion, kinds, labelKeys, managedByValue } from "../api/group.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import { contentHash } from "../render/hash.ts";
import { delay, stopped } from "../runtime/abort.ts";
import { backoff, type BackoffPolicy } from "../runtime/backoff.ts";
import type { Clock } from "../runtime/clock.ts";
import type { EventRecorder } from "../runtime/event-recorder.ts";
import {
  isConflict,
  isNotFound,
  KubeApiError,
  type KubeApi,
  type KubeObject,
} from "../runtime/kube-client.ts";
import { adoptLegacyFields, withoutFields, type ManagedFieldsEntry } from "./field-ownership.ts";
import { objectPath } from "./resources.ts";

/** GMS's builtin templates: callback, and the section-only office-hours and capacity. */
export const builtinTemplates: readonly ServiceTemplate[] = [
  builtinCallbackTemplate,
  ...builtinSectionTemplates,
];

/** What the operator applies for a built-in template: its labels, content and content hash. */
export interface BuiltinTemplateObject extends KubeObject {
  metadata: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: ServiceTemplate["spec"];
}

/**
 * The apply configuration of a built-in template. The spec is the parsed form (schema defaults
 * written out), as the older operator created it, so that the fields it owned and the fields this
 * one applies are the same set. The annotation records which content was applied last.
 */
export function builtinTemplateObject(template: ServiceTemplate): BuiltinTemplateObject {
  const labels = { [labelKeys.managedBy]: managedByValue };
  const { spec } = template;
  return {
    apiVersion,
    kind: kinds.serviceTemplate.kind,
    metadata: {
      name: template.metadata.name,
      labels,
      annotations: { [annotationKeys.builtinRevision]: contentHash({ labels, spec }) },
    },
    spec,
  };
}

/**
 * Whether the cached template already carries this version's content, as far as its users let it:
 * a restart of the same version sends no request. A template without the annotation (created by
 * the older operator, or by a person) is applied once.
 */
export function builtinTemplateIsCurrent(
  live: KubeObject | undefined,
  desired: BuiltinTemplateObject,
): boolean {
  const key = annotationKeys.builtinRevision;
  return live?.metadata.annotations?.[key] === desired.metadata.annotations[key];
}

export interface BuiltinTemplateDeps {
  readonly client: KubeApi;
  readonly fieldManager: string;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly clock: Clock;
}

/** A field of the built-in content left at another manager's value. */
export interface KeptField {
  readonly field: string;
  /** The apiserver's words for the owner, e.g. `conflict with "kubectl-edit" using …`. */
  readonly owner: string;
}

/** At most this many conflicting applies in a row (a user editing while the operator applies). */
const conflictRounds = 5;

/**
 * Brings one built-in template to this version's content: hands the older operator's fields to the
 * apply manager, then applies without force, leaving out each field a 409 names. Returns the
 * fields kept at their owner's value.
 */
export async function applyBuiltinTemplate(
  deps: BuiltinTemplateDeps,
  desired: BuiltinTemplateObject,
): Promise<readonly KeptField[]> {
  const { name } = desired.metadata;
  const path = objectPath("ServiceTemplate", undefined, name);
  await handOverLegacyFields(deps, path);
  const kept: KeptField[] = [];
  let config = desired;
  for (let round = 0; ; round++) {
    try {
      const applied = await deps.client.apply<KubeObject>(path, config, deps.fieldManager, false);
      for (const { field, owner } of kept) {
        deps.log.info(
          { template: name, field, owner },
          "Kept a user's value in the built-in ServiceTemplate",
        );
        await deps.events.record(
          applied,
          "Normal",
          "BuiltinFieldKept",
          `${field}: kept the value another field manager set (${owner}); this operator version's value was not applied`,
        );
      }
      return kept;
    } catch (error) {
      if (!isConflict(error) || !(error instanceof KubeApiError) || round >= conflictRounds)
        throw error;
      const conflicts = error.causes.filter((cause) => cause.field !== undefined);
      if (conflicts.length === 0) throw error;
      const result = withoutFields(
        config,
        conflicts.map((cause) => cause.field ?? ""),
      );
      if (result.unknown.length > 0)
        throw new Error(
          `The apply of ServiceTemplate ${name} conflicted on fields it does not hold: ${result.unknown.join(", ")}`,
          { cause: error },
        );
      config = result.config;
      kept.push(
        ...conflicts.map((cause) => ({ field: cause.field ?? "", owner: cause.message ?? "" })),
      );
    }
  }
}

/**
 * The older operator created each template with a POST: the apiserver recorded an `Update` by a
 * manager named from its User-Agent. Applying over that would share every field with it (nothing
 * could be removed) and conflict on every changed one; its fields become the apply manager's first.
 * The patch tests the resourceVersion, so a concurrent change makes it fail and retry.
 */
async function handOverLegacyFields(deps: BuiltinTemplateDeps, path: string): Promise<void> {
  // The template's own status writes move its resourceVersion too: a failed test is read again.
  for (let attempt = 1; ; attempt++) {
    let live: KubeObject;
    try {
      live = await deps.client.get<KubeObject>(path);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
    const adopted = adoptLegacyFields(
      entries,
      deps.fieldManager,
      apiVersion,
      new Date(deps.clock.now()).toISOString().replace(/\.\d+Z$/, "Z"),
    );
    if (adopted === undefined) return;
    try {
      await deps.client.request("PATCH", path, {
        contentType: "application/json-patch+json",
        body: [
          { op: "test", path: "/metadata/resourceVersion", value: live.metadata.resourceVersion },
          { op: "replace", path: "/metadata/managedFields", value: adopted },
        ],
      });
    } catch (error) {
      // 422: the test failed (the object changed since the GET); 409: a concurrent write.
      const changed = error instanceof KubeApiError && [409, 422].includes(error.status);
      if (changed && attempt < handOverAttempts) continue;
      throw error;
    }
    deps.log.info(
      { template: live.metadata.name },
      "Took over the fields the older operator created in the built-in ServiceTemplate",
    );
    return;
  }
}

/** Reads of a template whose resourceVersion moved meanwhile, before the attempt backs off. */
const handOverAttempts = 3;

/** Retries: 1 s doubling to 30 s, spread across replicas. */
const builtinTemplateRetry: BackoffPolicy = { base: 1_000, max: 30_000, jitter: 0.5 };

/**
 * Applies the built-in template in the background until it succeeds, so a slow apiserver delays
 * it but stops nothing.
 */
export async function keepBuiltinTemplateCurrent(
  deps: BuiltinTemplateDeps,
  desired: BuiltinTemplateObject,
  stop: AbortSignal,
): Promise<void> {
  const { name } = desired.metadata;
  for (let attempt = 0; !stopped(stop); attempt++) {
    try {
      const kept = await applyBuiltinTemplate(deps, desired);
      deps.log.info(
        { template: name, keptFields: kept.length },
        "Applied the built-in ServiceTemplate",
      );
      return;
    } catch (error) {
      deps.log.warn(
        { template: name, err: (error as Error).message },
        "Could not apply the built-in ServiceTemplate; retrying",
      );
      await delay(backoff(attempt, builtinTemplateRetry), stop);
    }
  }
}
