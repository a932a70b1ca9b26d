// Reconciles a ServiceTemplate's status: its content revision, how many services use it, and
// whether it passes the checks the CRD cannot make (typed defaults, scenario values).
import type { Logger } from "pino";
import type { CallbackService } from "../api/callback-service.ts";
import { apiVersion, kinds } from "../api/group.ts";
import { templateSpecProblems, type ServiceTemplate } from "../api/service-template.ts";
import { contentHash } from "../render/hash.ts";
import { templateNameProblems, templateRevision } from "../render/render.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Cache } from "../runtime/informer.ts";
import type { KubeApi } from "../runtime/kube-client.ts";
import { stalledSummary, toConditions } from "./conditions.ts";
import { objectPath } from "./resources.ts";

export interface TemplateReconcilerDeps {
  readonly client: KubeApi;
  readonly services: Cache<CallbackService>;
  readonly templates: Cache<ServiceTemplate>;
  readonly fieldManager: string;
  readonly log: Logger;
  readonly clock: Clock;
}

export async function reconcileTemplate(deps: TemplateReconcilerDeps, name: string): Promise<void> {
  const template = deps.templates.get(name);
  if (template === undefined || template.metadata["deletionTimestamp"] !== undefined) return;
  let serviceCount = 0;
  for (const service of deps.services.list()) {
    if (service.spec.template === name) serviceCount++;
  }
  const problems = [...templateNameProblems(name), ...templateSpecProblems(template.spec)];
  const generation = template.metadata.generation ?? 0;
  const drafts =
    problems.length === 0
      ? [
          {
            type: "Ready",
            status: "True",
            reason: "ReconciliationSucceeded",
            message: "The template is valid",
          } as const,
        ]
      : stalledSummary("InvalidTemplate", problems.join("; "));
  const status = {
    observedGeneration: generation,
    revision: templateRevision(template.spec),
    serviceCount,
    conditions: toConditions(drafts, template.status?.conditions, generation, deps.clock.now()),
  };
  if (contentHash(template.status ?? {}) === contentHash(status)) return;
  await deps.client.apply(
    `${objectPath("ServiceTemplate", undefined, name)}/status`,
    { apiVersion, kind: kinds.serviceTemplate.kind, metadata: { name }, status },
    deps.fieldManager,
  );
  deps.log.debug({ template: name }, "Updated template status");
}
