// Reconciles a ServiceTemplate's status: its content revision, how many services use it, and
// whether it passes the checks the CRD cannot make (typed defaults, scenario values).
import type { Logger } from "pino";
import type { Condition } from "../api/conditions.ts";
import { apiVersion, kinds } from "../api/group.ts";
import { templateSpecProblems, type ServiceTemplate } from "../api/service-template.ts";
import { contentHash } from "../render/hash.ts";
import { templateNameProblems, templateRevision } from "../render/render.ts";
import type { Informer } from "./informer.ts";
import type { KubeClient, KubeObject } from "./kube-client.ts";
import { objectPath } from "./resources.ts";
import { fitMessage } from "./status-limits.ts";

export interface TemplateReconcilerDeps {
  readonly client: KubeClient;
  readonly services: Informer<KubeObject>;
  readonly templates: Informer<KubeObject>;
  readonly fieldManager: string;
  readonly log: Logger;
  readonly now: () => Date;
}

export async function reconcileTemplate(deps: TemplateReconcilerDeps, name: string): Promise<void> {
  const template = deps.templates.get(name) as ServiceTemplate | undefined;
  if (template === undefined || template.metadata["deletionTimestamp"] !== undefined) return;
  let serviceCount = 0;
  for (const service of deps.services.list()) {
    if ((service["spec"] as { template?: string } | undefined)?.template === name) serviceCount++;
  }
  const problems = [...templateNameProblems(name), ...templateSpecProblems(template.spec)];
  const generation = template.metadata.generation ?? 0;
  const previous = template.status?.conditions ?? [];
  const when = deps
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
  const condition = (
    type: string,
    status: Condition["status"],
    reason: string,
    message: string,
  ): Condition => {
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status,
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : when,
    };
  };
  const conditions =
    problems.length === 0
      ? [condition("Ready", "True", "ReconciliationSucceeded", "The template is valid")]
      : [
          condition("Ready", "False", "InvalidTemplate", fitMessage(problems.join("; "))),
          condition("Stalled", "True", "InvalidTemplate", fitMessage(problems.join("; "))),
        ];
  const status = {
    observedGeneration: generation,
    revision: templateRevision(template.spec),
    serviceCount,
    conditions,
  };
  if (contentHash(template.status ?? {}) === contentHash(status)) return;
  await deps.client.apply(
    `${objectPath("ServiceTemplate", undefined, name)}/status`,
    { apiVersion, kind: kinds.serviceTemplate.kind, metadata: { name }, status },
    deps.fieldManager,
  );
  deps.log.debug({ template: name }, "Updated template status");
}
