// render(service, template, config): everything the controller needs to know about one service,
// computed without I/O. The same function backs `callback-operator render -f` for GitOps previews.
import type { CallbackService } from "../api/callback-service.ts";
import type { ConditionReason } from "../api/conditions.ts";
import { groupLabelKey, groupLabelValue, labelKeys, managedByValue } from "../api/group.ts";
import { isSectionOnly } from "../api/builtin-section-templates.ts";
import { limits } from "../api/limits.ts";
import { notEnforcedWarnings } from "../api/option-use.ts";
import { serviceOrigin } from "../api/service-address.ts";
import { parseServiceGroups, serviceGroupsOption } from "../api/service-groups.ts";
import {
  templateSpecProblems,
  type ServiceTemplate,
  type ServiceTemplateSpec,
} from "../api/service-template.ts";
import {
  configMap,
  databaseOf,
  httpRoute,
  ingress,
  service as kubeService,
  servicePaths,
  workload,
  type ChildContext,
  type ChildObject,
} from "./children.ts";
import { effectiveOptions } from "./effective-options.ts";
import { isLinkableName, linkedServiceOptions, maxLinkedNameLength } from "./linked-services.ts";
import { contentHash } from "./hash.ts";
import type { RenderConfig } from "./render-config.ts";

export type RouteKind = "Ingress" | "HTTPRoute";
/** Deployment with PostgreSQL, StatefulSet with the embedded database (children.ts). */
export type WorkloadKind = "Deployment" | "StatefulSet";

export interface RenderFacts {
  /** Where the Callback API answers; undefined for a section-only service, which runs none. */
  readonly url: string | undefined;
  readonly serviceGroups: readonly string[];
  readonly configHash: string;
  readonly templateRevision: string;
  readonly warnings: readonly string[];
  /** Undefined for a section-only service (office-hours, capacity): it has no route. */
  readonly routeKind: RouteKind | undefined;
  /** Undefined for a section-only service: it has no workload. */
  readonly workloadKind: WorkloadKind | undefined;
}

/** Labels the operator sets on the CallbackService itself, with its own field manager. */
export type ServiceLabels = Readonly<Record<string, string>>;

export type RenderResult =
  | {
      readonly ok: true;
      readonly children: readonly ChildObject[];
      readonly facts: RenderFacts;
      readonly serviceLabels: ServiceLabels;
      readonly effectiveOptions: Readonly<Record<string, string>>;
    }
  | {
      readonly ok: false;
      /** Why the service cannot progress until someone changes it (Stalled). */
      readonly reason: Extract<
        ConditionReason,
        | "TemplateNotFound"
        | "InvalidTemplate"
        | "UnknownScenario"
        | "InvalidOptions"
        | "RouteNotAccepted"
      >;
      readonly message: string;
      readonly warnings: readonly string[];
      readonly serviceGroups: readonly string[];
      readonly serviceLabels: ServiceLabels;
    };

/**
 * What every service of a template needs to know about it, worked out once per template object:
 * informers replace an object on every change, so its identity is a version. (Validating and
 * hashing the built-in template's forty options for each of thousands of services showed up as
 * the largest share of the operator's CPU in the benchmark's profile.)
 */
const templateFacts = new WeakMap<ServiceTemplateSpec, { revision: string; problems: string[] }>();

function factsOf(spec: ServiceTemplateSpec): { revision: string; problems: string[] } {
  let facts = templateFacts.get(spec);
  if (facts === undefined) {
    facts = {
      revision: contentHash({ options: spec.options, scenarios: spec.scenarios }),
      problems: templateSpecProblems(spec),
    };
    templateFacts.set(spec, facts);
  }
  return facts;
}

/** The content revision of a template: the same spec gives the same revision everywhere. */
export function templateRevision(spec: ServiceTemplateSpec): string {
  return factsOf(spec).revision;
}

export function render(
  service: CallbackService,
  template: ServiceTemplate | undefined,
  config: RenderConfig,
): RenderResult {
  const { spec } = service;
  const requestedGroups = groupsOf(spec.options?.[serviceGroupsOption]);
  const stalled = (
    reason: Extract<RenderResult, { ok: false }>["reason"],
    message: string,
    warnings: readonly string[] = [],
  ): RenderResult => ({
    ok: false,
    reason,
    message,
    warnings,
    serviceGroups: requestedGroups,
    serviceLabels: serviceLabels(spec.template, requestedGroups),
  });
  if (spec.template.length > limits.labelValue) {
    return stalled("InvalidTemplate", templateNameMessage("spec.template", spec.template));
  }
  if (template === undefined) {
    return stalled(
      "TemplateNotFound",
      `spec.template: ServiceTemplate "${spec.template}" does not exist; create it or name an existing template`,
    );
  }
  const templateProblems = factsOf(template.spec).problems;
  if (templateProblems.length > 0) {
    return stalled(
      "InvalidTemplate",
      `ServiceTemplate "${spec.template}" is invalid: ${templateProblems.join("; ")}`,
    );
  }
  const scenario = template.spec.scenarios.find((s) => s.name === spec.scenario);
  if (scenario === undefined) {
    const names = template.spec.scenarios.map((s) => s.name).join(", ");
    return stalled(
      "UnknownScenario",
      `spec.scenario: ServiceTemplate "${spec.template}" has no scenario "${spec.scenario}"; use one of: ${names}`,
    );
  }
  const effective = effectiveOptions(spec, template.spec, scenario.values ?? {});
  if (effective.errors.length > 0) {
    return stalled("InvalidOptions", effective.errors.join("; "), effective.warnings);
  }
  const groups = groupsOf(effective.options[serviceGroupsOption]);
  const labels = { ...childLabels(service), ...groupLabels(groups) };
  const selector = selectorLabels(service.metadata.name);
  const ctx: ChildContext = { service, config, labels, selector };
  const configHash = contentHash(effective.options);
  const common = {
    effectiveOptions: effective.options,
    serviceLabels: serviceLabels(spec.template, groups),
  };
  if (isSectionOnly(template.spec.serviceType)) {
    // GMS builtin office-hours and capacity services are a section only: the callback services
    // that name them mount the ConfigMap (gms-reference-2.md §2.3, §3; docs/adr/0102).
    return {
      ok: true,
      children: [configMap(ctx, effective.options)],
      ...common,
      facts: {
        url: undefined,
        serviceGroups: groups,
        configHash,
        templateRevision: templateRevision(template.spec),
        warnings: [...effective.warnings, ...sectionOnlyWarnings(service)],
        routeKind: undefined,
        workloadKind: undefined,
      },
    };
  }
  const route = resolveRoute(service, config);
  if (!route.ok) return stalled("RouteNotAccepted", route.message, effective.warnings);
  const storage = storageFacts(service, config);
  if (storage.problem !== undefined) {
    return stalled("InvalidOptions", storage.problem, effective.warnings);
  }
  const linked = linkedServiceMounts(effective.options);
  // No declared option is silently ignored: those nothing acts on yet are named in status.
  const warnings = [
    ...effective.warnings,
    ...notEnforcedWarnings(effective.options),
    ...accessNumberWarnings(effective.options),
    ...storage.warnings,
    ...linked.warnings,
  ];
  const children = [
    configMap(ctx, effective.options),
    workload(ctx, configHash, linked.names),
    kubeService(ctx),
    route.kind === "Ingress"
      ? ingress(ctx, route.host, route.className)
      : httpRoute(ctx, route.host, route.parentRefs),
  ];
  return {
    ok: true,
    children,
    ...common,
    facts: {
      url: serviceUrl(service, route.host, config),
      serviceGroups: groups,
      configHash,
      templateRevision: templateRevision(template.spec),
      warnings,
      routeKind: route.kind,
      workloadKind: storage.embedded ? "StatefulSet" : "Deployment",
    },
  };
}

/**
 * A user-originated service gives the customer a number to dial (GMS `DialNumber`, from the
 * `_resource_group` pool; gms-reference-2.md §4.1–4.2). Without `_access_numbers` every start that
 * should answer one is refused, so the service says so before its first customer does.
 */
function accessNumberWarnings(options: Readonly<Record<string, string>>): string[] {
  const direction = options["_call_direction"]?.trim().toUpperCase() ?? "";
  if (direction !== "USERORIGINATED" || (options["_access_numbers"]?.trim() ?? "") !== "")
    return [];
  return [
    `option _call_direction is USERORIGINATED but _access_numbers is empty: the customer gets no number to dial (every DialNumber answer is a 503); set spec.options._access_numbers to the numbers of resource group ${options["_resource_group"]?.trim() || "DNIS"}, e.g. "+18005550100, +18005550101", or pick a User-Terminated scenario`,
  ];
}

/** What a section-only service would ignore: it runs no Callback API and is not routed. */
function sectionOnlyWarnings(service: CallbackService): string[] {
  const unused = (["api", "route"] as const).filter((field) => service.spec[field] !== undefined);
  return unused.map(
    (field) =>
      `spec.${field}: unused, the service's template is section-only (no Callback API, no route): the callback services that name it read its ConfigMap; remove spec.${field}`,
  );
}

/**
 * The office-hours and capacity services a callback service names, each mounted from its ConfigMap
 * `service.<name>`. A name that cannot be a CallbackService's (not a DNS subdomain) is not mounted:
 * its ConfigMap cannot exist, and the Callback API reports it missing.
 */
function linkedServiceMounts(options: Readonly<Record<string, string>>): {
  names: string[];
  warnings: string[];
} {
  const names: string[] = [];
  const warnings: string[] = [];
  for (const option of linkedServiceOptions) {
    const name = options[option]?.trim() ?? "";
    if (name === "" || names.includes(name)) continue;
    if (isLinkableName(name)) names.push(name);
    else {
      warnings.push(
        `option ${option}: "${name.slice(0, 64)}" cannot be the name of a CallbackService (lowercase letters, digits, '-' and '.', at most ${String(maxLinkedNameLength)}); name the office-hours or capacity CallbackService in this namespace`,
      );
    }
  }
  return { names, warnings };
}

/**
 * The StatefulSet controller labels each pod with `<statefulset>-<revision hash of up to 10
 * characters>`, and a label value holds 63: a longer name gets no pod at all.
 */
const maxEmbeddedNameLength = limits.labelValue - 11;

/** Checks the storage of a service against where its callbacks live. */
function storageFacts(
  service: CallbackService,
  config: RenderConfig,
): { embedded: boolean; problem?: string; warnings: string[] } {
  const embedded = databaseOf({ service, config }) === undefined;
  const { name } = service.metadata;
  if (embedded && name.length > maxEmbeddedNameLength) {
    return {
      embedded,
      problem: `metadata.name: "${name}" has ${String(name.length)} characters; a service on the embedded database runs a StatefulSet, whose pods can carry a name of at most ${String(maxEmbeddedNameLength)}; use a shorter name or set spec.api.databaseSecretRef (PostgreSQL)`,
      warnings: [],
    };
  }
  const storage = service.spec.api?.storage;
  const unused =
    !embedded && (storage?.size !== undefined || storage?.storageClassName !== undefined);
  return {
    embedded,
    warnings: unused
      ? [
          "spec.api.storage: unused, the service stores callbacks in PostgreSQL; remove it, or remove the database to use the embedded store on that volume",
        ]
      : [],
  };
}

/**
 * A template's name is the value of the label callback-operator.io/template on every service that
 * uses it, so one longer than a label value (a DNS subdomain may have 253 characters) is unusable.
 */
export function templateNameProblems(name: string): string[] {
  return name.length > limits.labelValue ? [templateNameMessage("metadata.name", name)] : [];
}

function templateNameMessage(field: string, name: string): string {
  return `${field}: "${name}" has ${String(name.length)} characters; CallbackServices can use only a ServiceTemplate whose name has at most ${String(limits.labelValue)}, since it becomes the value of their label ${labelKeys.template}; give the template a shorter name`;
}

function groupsOf(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  return parseServiceGroups(value).groups ?? [];
}

export function groupLabels(groups: readonly string[]): Record<string, string> {
  return Object.fromEntries(groups.map((group) => [groupLabelKey(group), groupLabelValue]));
}

function serviceLabels(template: string, groups: readonly string[]): ServiceLabels {
  // A template name too long for a label value is reported (InvalidTemplate), not labelled.
  const templateLabel =
    template.length > limits.labelValue ? {} : { [labelKeys.template]: template };
  return { ...templateLabel, ...groupLabels(groups) };
}

/** Labels of every child. Never Argo CD's tracking label or annotation: Argo would prune them. */
function childLabels(service: CallbackService): Record<string, string> {
  return {
    [labelKeys.managedBy]: managedByValue,
    [labelKeys.service]: service.metadata.name,
    [labelKeys.template]: service.spec.template,
    "app.kubernetes.io/name": "callback-api",
    "app.kubernetes.io/part-of": "callback-operator",
  };
}

/** The Deployment's selector: immutable, so it holds only what never changes for a service. */
export function selectorLabels(name: string): Record<string, string> {
  return { [labelKeys.service]: name, "app.kubernetes.io/name": "callback-api" };
}

type ResolvedRoute =
  | { ok: true; kind: "Ingress"; host: string; className: string }
  | { ok: true; kind: "HTTPRoute"; host: string; parentRefs: RenderConfig["gatewayParentRefs"] }
  | { ok: false; message: string };

function resolveRoute(service: CallbackService, config: RenderConfig): ResolvedRoute {
  const route = service.spec.route;
  const host = route?.host ?? config.defaultHost;
  const useGateway =
    route?.parentRefs !== undefined ||
    (route?.ingressClassName === undefined && config.routingMode === "httproute");
  if (!useGateway) {
    return {
      ok: true,
      kind: "Ingress",
      host,
      className: route?.ingressClassName ?? config.ingressClassName,
    };
  }
  const parentRefs = route?.parentRefs ?? config.gatewayParentRefs;
  if (parentRefs.length === 0) {
    return {
      ok: false,
      message:
        "spec.route.parentRefs: the operator routes with Gateway API HTTPRoutes and has no default Gateway; name the Gateway in spec.route.parentRefs (or set spec.route.ingressClassName to use an Ingress)",
    };
  }
  return { ok: true, kind: "HTTPRoute", host, parentRefs };
}

function serviceUrl(service: CallbackService, host: string, config: RenderConfig): string {
  const [path] = servicePaths(service.metadata.name);
  if (host !== "") return `${config.urlScheme}://${host}${path ?? ""}`;
  const namespace = service.metadata.namespace ?? "default";
  return `${serviceOrigin(service.metadata.name, namespace, config.clusterDomain)}${path ?? ""}`;
}
