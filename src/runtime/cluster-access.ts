// Where the apiserver is and how to authenticate to it, for the operator, the console and the
// Callback API entry. In a pod this is resolved here from the ServiceAccount files; from a
// kubeconfig, client-node resolves it in a short-lived child process (resolve-kubeconfig.ts), so
// that client-node's import (about 80 MiB of RSS) never stays in a long-lived process.
// docs/adr/0124-cluster-credentials-without-client-node-in-process.md
import { execFile, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock, type Clock } from "./clock.ts";

/** TLS material of the connections, as node:tls takes it (PEM text). */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized?: boolean;
}

export interface Credentials {
  readonly tls: TlsMaterial;
  /** Request headers with lower-case names (authorization). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface ClusterAccess {
  /** The apiserver's URL without a trailing slash. */
  readonly server: string;
  /** Current credentials; KubeClient asks once a minute, since projected tokens rotate. */
  credentials(): Promise<Credentials>;
}

/** What resolve-kubeconfig.ts prints: one JSON object on stdout. */
export type Resolution =
  | { readonly kind: "unreadable"; readonly message: string }
  | { readonly kind: "no-cluster" }
  | {
      readonly kind: "resolved";
      readonly server: string;
      /** The user's credentials can change (exec plugin, auth provider): resolve them again. */
      readonly renews: boolean;
      readonly credentials?: Credentials;
      /** Why the credentials could not be had (an exec plugin failing), as client-node said. */
      readonly error?: string;
    };

/** A kubeconfig that cannot be loaded; the message names the file and gives client-node's reason. */
export class KubeconfigUnreadable extends Error {
  override readonly name = "KubeconfigUnreadable";
}

export const serviceAccountRoot = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface AccessEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** Where the ServiceAccount's token and ca.crt are mounted; a temp dir in tests. */
  readonly serviceAccountRoot?: string;
  /** Times the renewal of credentials that can change. */
  readonly clock?: Clock;
}

/**
 * The cluster of `file`, or else as client-node's loadFromDefault picks it: KUBECONFIG,
 * ~/.kube/config, the pod's ServiceAccount. Undefined when the kubeconfig names no current cluster;
 * throws KubeconfigUnreadable when it cannot be loaded.
 */
export function clusterAccess(
  file: string | undefined,
  { env, serviceAccountRoot: root = serviceAccountRoot, clock = systemClock }: AccessEnvironment,
): ClusterAccess | undefined {
  const home = env["HOME"];
  const kubeconfigFirst =
    file !== undefined ||
    (env["KUBECONFIG"] ?? "") !== "" ||
    (home !== undefined && existsSync(path.join(home, ".kube", "config")));
  if (!kubeconfigFirst && existsSync(path.join(root, "token"))) return inClusterAccess(env, root);
  return kubeconfigAccess(file, env, clock);
}

/** A pod's own credentials, read as client-node's loadFromCluster does; the token each time. */
export function inClusterAccess(env: NodeJS.ProcessEnv, root: string): ClusterAccess {
  const host = env["KUBERNETES_SERVICE_HOST"] ?? "";
  const port = env["KUBERNETES_SERVICE_PORT"] ?? "";
  const scheme = ["80", "8080", "8001"].includes(port) ? "http" : "https";
  return {
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    credentials() {
      const token = readFileSync(path.join(root, "token"), "utf8").trim();
      return Promise.resolve({
        tls: { ca: readFileSync(path.join(root, "ca.crt"), "utf8") },
        headers: { authorization: `Bearer ${token}` },
      });
    },
  };
}

/** Credentials that can change are resolved again after this; KubeClient asks once a minute. */
const renewAfterMs = 30_000;

const resolver = fileURLToPath(new URL("resolve-kubeconfig.ts", import.meta.url));

function resolverArgs(file: string | undefined): string[] {
  return file === undefined ? [resolver] : [resolver, file];
}

type Output = Pick<SpawnSyncReturns<string>, "stdout" | "stderr">;

function parseResolution(output: Output): Resolution {
  try {
    return JSON.parse(output.stdout) as Resolution;
  } catch {
    throw new Error(`resolving the kubeconfig failed: ${output.stderr.trim() || "no output"}`);
  }
}

function resolved(resolution: Resolution): Extract<Resolution, { kind: "resolved" }> {
  if (resolution.kind !== "resolved") throw new Error("the kubeconfig changed: no current cluster");
  return resolution;
}

function credentialsOf(resolution: Resolution): Credentials {
  const { credentials, error } = resolved(resolution);
  if (credentials === undefined) throw new Error(error ?? "no credentials");
  return credentials;
}

/**
 * Resolved once now (synchronously: flags are parsed before anything runs), again at most every
 * 30 s if the user's credentials can change (exec plugin, auth provider). A static certificate or
 * token is never resolved again, as client-node never re-reads it either.
 */
function kubeconfigAccess(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  clock: Clock,
): ClusterAccess | undefined {
  const first = parseResolution(
    spawnSync(process.execPath, resolverArgs(file), { encoding: "utf8", env }),
  );
  if (first.kind === "unreadable") {
    throw new KubeconfigUnreadable(
      `--kubeconfig "${file ?? ""}" could not be read: ${first.message}`,
    );
  }
  if (first.kind === "no-cluster") return undefined;
  // The child reports its own failures as JSON; no JSON means it crashed (stderr says why).
  const again = (): Promise<Resolution> =>
    new Promise<Output>((resolve) => {
      execFile(
        process.execPath,
        resolverArgs(file),
        { encoding: "utf8", env },
        (_, stdout, stderr) => {
          resolve({ stdout, stderr });
        },
      );
    }).then(parseResolution);
  let latest: { resolution: Resolution; at: number } = { resolution: first, at: clock.monotonic() };
  let pending: Promise<Resolution> | undefined;
  return {
    server: first.server,
    async credentials() {
      const { resolution, at } = latest;
      // Requests that start together, and the clients of one process, share one child; a failed
      // answer (an exec plugin failing) is asked again, as client-node would run the plugin again.
      const stale =
        resolution.kind !== "resolved" ||
        resolution.error !== undefined ||
        (first.renews && clock.monotonic() - at > renewAfterMs);
      if (!stale) return credentialsOf(resolution);
      pending ??= again().finally(() => {
        pending = undefined;
      });
      const next = await pending;
      latest = { resolution: next, at: clock.monotonic() };
      return credentialsOf(next);
    },
  };
}
