// The upstreams of a cluster: every CallbackService that runs a Callback API, reached through the
// Service the operator renders for it (src/render/children.ts). A service has one exactly when the
// operator has written its status.url; section-only services (office hours, capacity) never do.
import type { Logger } from "pino";
import type { CallbackService } from "../../api/callback-service.ts";
import { apiVersion, kinds } from "../../api/group.ts";
import { serviceOrigin, servicePort } from "../../api/service-address.ts";
import { Informer } from "../../runtime/informer.ts";
import type { KubeApi } from "../../runtime/kube-client.ts";
import type { Upstream, UpstreamTable } from "./upstreams.ts";

export interface DiscoveryOptions {
  /** Namespaces watched; every namespace when empty. */
  readonly namespaces: readonly string[];
  readonly clusterDomain: string;
  readonly log: Logger;
}

/** The upstream of one CallbackService, or undefined while it runs no Callback API. */
export function upstreamOf(service: CallbackService, clusterDomain: string): Upstream | undefined {
  if (service.status?.url === undefined) return undefined;
  const name = service.metadata.name;
  const namespace = service.metadata.namespace ?? "default";
  return {
    name: `${namespace}/${name}`,
    url: `${serviceOrigin(name, namespace, clusterDomain)}:${servicePort}`,
  };
}

export class DiscoveredUpstreams implements UpstreamTable {
  readonly #informer: Informer<CallbackService>;
  readonly #clusterDomain: string;

  constructor(client: KubeApi, options: DiscoveryOptions) {
    this.#clusterDomain = options.clusterDomain;
    this.#informer = new Informer<CallbackService>(client, {
      name: "CallbackService",
      paths:
        options.namespaces.length === 0
          ? [`/apis/${apiVersion}/${kinds.callbackService.plural}`]
          : options.namespaces.map(
              (namespace) =>
                `/apis/${apiVersion}/namespaces/${namespace}/${kinds.callbackService.plural}`,
            ),
      log: options.log,
    });
  }

  /** Lists and watches until the signal; resolves once every namespace has been listed. */
  start(signal: AbortSignal): Promise<void> {
    return this.#informer.start(signal);
  }

  get synced(): boolean {
    return this.#informer.hasSynced;
  }

  current(): Upstream[] {
    const upstreams: Upstream[] = [];
    for (const service of this.#informer.list()) {
      const upstream = upstreamOf(service, this.#clusterDomain);
      if (upstream !== undefined) upstreams.push(upstream);
    }
    return upstreams.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
