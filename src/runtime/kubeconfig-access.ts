// A loaded client-node KubeConfig as a ClusterAccess: what resolve-kubeconfig.ts runs in its child
// process, and what tests and the benchmark use in-process. Type-only import: a process that
// imports this module but never builds a KubeConfig does not load client-node.
import type { RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterAccess, Credentials, TlsMaterial } from "./cluster-access.ts";

const text = (
  value: string | Buffer | readonly (string | Buffer)[] | undefined,
): string | undefined => (value === undefined ? undefined : [value].flat().map(String).join("\n"));

export async function credentialsOf(kubeConfig: KubeConfig): Promise<Credentials> {
  const options: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  if (options.auth != null) {
    headers["authorization"] = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  }
  const ca = text(options.ca);
  const cert = text(options.cert);
  const key = text(options.key as string | Buffer | undefined);
  const tls: TlsMaterial = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(options.rejectUnauthorized === undefined
      ? {}
      : { rejectUnauthorized: options.rejectUnauthorized }),
  };
  return { tls, headers };
}

/** Credentials resolved by client-node on every call (it caches exec and token-file results). */
export function kubeConfigAccess(kubeConfig: KubeConfig): ClusterAccess {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error("The kubeconfig has no current cluster.");
  return {
    server: cluster.server.replace(/\/$/, ""),
    credentials: () => credentialsOf(kubeConfig),
  };
}
