// Where a CallbackService's Callback API is reached inside the cluster: the Service the operator
// renders for it (src/render/children.ts), which the entry point (src/callback-api/entry/) also
// addresses. One place, so the two cannot drift apart.

/** The port of that Service (its target is the Callback API's `http` port). */
export const servicePort = 80;

/** The cluster DNS domain unless a flag says otherwise. */
export const defaultClusterDomain = "cluster.local";

/** `http://<name>.<namespace>.svc.<domain>`: the Service's in-cluster origin (port 80 implied). */
export function serviceOrigin(name: string, namespace: string, clusterDomain: string): string {
  return `http://${name}.${namespace}.svc.${clusterDomain}`;
}
