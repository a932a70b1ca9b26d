// What integration tests use to reach the cluster of this run: kubectl, client-node, and minted
// credentials for restricted users and ServiceAccounts.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { inject } from "vitest";
import { writeKubeconfig } from "../../src/control-plane/kubeconfig.ts";
import { createClientCert } from "../../src/control-plane/pki.ts";
import type { ClusterAccess } from "../../src/runtime/cluster-access.ts";
import { kubeConfigAccess } from "../../src/runtime/kubeconfig-access.ts";

const repoRoot = path.join(import.meta.dirname, "../..");

/** The CRDs of this project, as `npm run generate` writes them. */
export const crdNames = [
  "callbackservices.callback-operator.io",
  "servicetemplates.callback-operator.io",
  "consolepermissions.callback-operator.io",
] as const;

/** Installs the generated CRDs and waits until they are served; idempotent across test files. */
export function installCrds(): void {
  kubectl([
    "apply",
    "--server-side",
    "--force-conflicts",
    "--field-manager=callback-operator-tests",
    "-f",
    path.join(repoRoot, "crds"),
  ]);
  kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    ...crdNames.map((n) => `crd/${n}`),
  ]);
  // Established is not yet published in the OpenAPI document `kubectl explain` reads: on a fresh
  // plane that follows a moment later, and a test explaining at once would fail now and then.
  for (const name of crdNames) {
    const resource = name.split(".")[0] ?? name;
    for (let tries = 0; tryKubectl(["explain", resource]).status !== 0; tries++) {
      if (tries >= 120) throw new Error(`kubectl explain ${resource} still fails after 30 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

export function kubeconfigPath(): string {
  return inject("kubeconfig");
}

/** The admin credentials of the test cluster, resolved in-process by client-node. */
export function adminAccess(): ClusterAccess {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath());
  return kubeConfigAccess(kubeConfig);
}

export interface KubectlOptions {
  readonly input?: string;
  readonly kubeconfig?: string;
}

/** Runs kubectl against the test cluster; returns stdout, throws with stderr on failure. */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): string {
  const result = tryKubectl(args, options);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Like kubectl() but returns failures, for tests that expect a rejection. */
export function tryKubectl(args: readonly string[], options: KubectlOptions = {}): KubectlResult {
  const result = spawnSync(
    inject("kubectl"),
    [`--kubeconfig=${options.kubeconfig ?? kubeconfigPath()}`, ...args],
    {
      encoding: "utf8",
      // Lists of hundreds of Deployments exceed the 1 MiB default and would arrive truncated.
      maxBuffer: 512 * 2 ** 20,
      ...(options.input === undefined ? {} : { input: options.input }),
    },
  );
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// The caller names the shape it expects of kubectl's JSON; nothing checks it at run time.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function kubectlJson<T>(args: readonly string[], options: KubectlOptions = {}): T {
  return JSON.parse(kubectl([...args, "-o", "json"], options)) as T;
}

/** A fresh namespace name per test, so tests never see each other's objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export function createNamespace(prefix: string): string {
  const name = uniqueName(prefix);
  kubectl(["create", "namespace", name]);
  return name;
}

interface ClusterEntry {
  readonly server: string;
  readonly ca: { readonly file: string } | { readonly data: string };
}

async function clusterServer(): Promise<ClusterEntry> {
  const config = parse(await readFile(kubeconfigPath(), "utf8")) as {
    clusters: {
      cluster: {
        server: string;
        "certificate-authority"?: string;
        "certificate-authority-data"?: string;
      };
    }[];
  };
  const cluster = config.clusters[0]?.cluster;
  if (cluster === undefined) throw new Error("The test kubeconfig names no cluster.");
  const file = cluster["certificate-authority"];
  const data = cluster["certificate-authority-data"] ?? "";
  return { server: cluster.server, ca: file === undefined ? { data } : { file } };
}

function scratchDir(): string {
  return mkdtempSync(path.join(tmpdir(), "callback-operator-creds-"));
}

/**
 * A kubeconfig for a user authenticated by a client certificate (CN = user, O = groups), with
 * no permissions until a binding grants them. Needs the local plane's CA.
 */
export async function mintUserKubeconfig(
  user: string,
  groups: readonly string[] = [],
): Promise<string> {
  const pkiDir = inject("pkiDir");
  if (pkiDir === "")
    throw new Error(
      "Minting user certificates needs the local plane's CA; use mintServiceAccountKubeconfig on an external cluster.",
    );
  const cert = await createClientCert({ dir: pkiDir }, user, groups);
  const { server, ca } = await clusterServer();
  const file = path.join(scratchDir(), "kubeconfig");
  await writeKubeconfig(file, server, ca, user, {
    clientCertificate: cert.cert,
    clientKey: cert.key,
  });
  return file;
}

/** A short-lived token of a ServiceAccount (created if missing), via TokenRequest. */
export function mintServiceAccountToken(namespace: string, name: string): string {
  if (tryKubectl(["get", "serviceaccount", name, "-n", namespace]).status !== 0) {
    kubectl(["create", "serviceaccount", name, "-n", namespace]);
  }
  return kubectl(["create", "token", name, "-n", namespace, "--duration=2h"]).trim();
}

/** A kubeconfig holding a short-lived token of a ServiceAccount (created if missing), via TokenRequest. */
export async function mintServiceAccountKubeconfig(
  namespace: string,
  name: string,
): Promise<string> {
  const token = mintServiceAccountToken(namespace, name);
  const { server, ca } = await clusterServer();
  const file = path.join(scratchDir(), "kubeconfig");
  await writeKubeconfig(file, server, ca, `system:serviceaccount:${namespace}:${name}`, { token });
  return file;
}

/**
 * A kubeconfig whose user's credentials come from an exec plugin: test/support/exec-credential.ts
 * run by this Node, with `env` (TOKEN: the token it hands out; RUNS: a file counting its runs;
 * FAIL: refuse).
 */
export async function execPluginKubeconfig(env: Readonly<Record<string, string>>): Promise<string> {
  const { server, ca } = await clusterServer();
  const file = path.join(scratchDir(), "kubeconfig");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "test",
        cluster: {
          server,
          ...("file" in ca
            ? { "certificate-authority": ca.file }
            : { "certificate-authority-data": ca.data }),
        },
      },
    ],
    users: [
      {
        name: "plugin-user",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: process.execPath,
            args: [path.join(import.meta.dirname, "exec-credential.ts")],
            env: Object.entries(env).map(([name, value]) => ({ name, value })),
            interactiveMode: "Never",
          },
        },
      },
    ],
    contexts: [{ name: "plugin", context: { cluster: "test", user: "plugin-user" } }],
    "current-context": "plugin",
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}
