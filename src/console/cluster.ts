// What the console reads of the cluster, watched so changes apply without a restart: the
// CallbackServices (their group labels, readiness and in-cluster URL, as the entry point discovers
// them: src/callback-api/entry/discovery.ts) and the cluster-scoped ConsolePermissions.
import type { Logger } from "pino";
import type { CallbackService } from "../api/callback-service.ts";
import {
  consolePermissionSpecSchema,
  type ConsolePermission,
  type ConsolePermissionSpec,
} from "../api/console-permission.ts";
import { apiVersion, groupLabelPrefix, groupLabelValue, kinds } from "../api/group.ts";
import { upstreamOf } from "../callback-api/entry/discovery.ts";
import { Informer } from "../runtime/informer.ts";
import type { KubeApi } from "../runtime/kube-client.ts";
import { serviceKey, type ServiceRef } from "./permissions.ts";

/** A CallbackService as the console shows and reaches it. */
export interface ConsoleService extends ServiceRef {
  /** Base URL of its Callback API. */
  readonly url: string;
  readonly ready: boolean;
  /** Custom user-data key → column label (`callback_column_alias`). */
  readonly aliases: Readonly<Record<string, string>>;
  /** The object itself, for the Events of the audit. */
  readonly object: CallbackService;
}

export interface ClusterOptions {
  readonly namespaces: readonly string[];
  readonly clusterDomain: string;
  /** `namespace/name` → base URL, in place of the discovered one (local runs, tests). */
  readonly urlOverrides: ReadonlyMap<string, string>;
  readonly log: Logger;
}

function groupsOf(service: CallbackService): string[] {
  return Object.entries(service.metadata.labels ?? {})
    .filter(([key, value]) => key.startsWith(groupLabelPrefix) && value === groupLabelValue)
    .map(([key]) => key.slice(groupLabelPrefix.length))
    .sort();
}

/** `callback_column_alias`: a JSON object of key → label; anything else is no alias. */
export function parseAliases(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    );
  } catch {
    return {};
  }
}

export class ConsoleCluster {
  readonly #services: Informer<CallbackService>;
  readonly #permissions: Informer<ConsolePermission>;
  readonly #options: ClusterOptions;

  constructor(client: KubeApi, options: ClusterOptions) {
    this.#options = options;
    const plural = kinds.callbackService.plural;
    this.#services = new Informer<CallbackService>(client, {
      name: "CallbackService",
      paths:
        options.namespaces.length === 0
          ? [`/apis/${apiVersion}/${plural}`]
          : options.namespaces.map((ns) => `/apis/${apiVersion}/namespaces/${ns}/${plural}`),
      log: options.log,
    });
    this.#permissions = new Informer<ConsolePermission>(client, {
      name: "ConsolePermission",
      paths: [`/apis/${apiVersion}/${kinds.consolePermission.plural}`],
      log: options.log,
    });
  }

  /** Lists and watches both kinds until the signal; resolves once both are listed. */
  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.#services.start(signal), this.#permissions.start(signal)]);
  }

  get synced(): boolean {
    return this.#services.hasSynced && this.#permissions.hasSynced;
  }

  /** The services with a Callback API to reach, by `namespace/name`. */
  services(): ConsoleService[] {
    const services: ConsoleService[] = [];
    for (const object of this.#services.list()) {
      const namespace = object.metadata.namespace ?? "default";
      const name = object.metadata.name;
      const url =
        this.#options.urlOverrides.get(`${namespace}/${name}`) ??
        upstreamOf(object, this.#options.clusterDomain)?.url;
      if (url === undefined) continue;
      services.push({
        namespace,
        name,
        groups: groupsOf(object),
        url,
        ready:
          object.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
          false,
        aliases: parseAliases(object.spec.options?.["callback_column_alias"]),
        // Listed items carry no apiVersion and kind; an Event's involvedObject needs them.
        object: { ...object, apiVersion, kind: kinds.callbackService.kind },
      });
    }
    return services.sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  }

  /** The specs of every valid ConsolePermission; one the apiserver let through but we cannot read is skipped. */
  permissions(): ConsolePermissionSpec[] {
    const specs: ConsolePermissionSpec[] = [];
    for (const object of this.#permissions.list()) {
      const parsed = consolePermissionSpecSchema.safeParse(object.spec);
      if (parsed.success) specs.push(parsed.data);
      else
        this.#options.log.warn(
          { permission: object.metadata.name, problem: parsed.error.issues[0]?.message },
          "Ignored an invalid ConsolePermission",
        );
    }
    return specs;
  }
}
