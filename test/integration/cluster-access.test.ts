// The credentials of a kubeconfig, resolved by client-node in a child process (cluster-access.ts,
// docs/adr/0124), against the real apiserver: a client certificate, a token and an exec plugin
// authenticate as their users; only credentials that can change are resolved again; a broken
// kubeconfig or a failing plugin says why, as client-node does in-process.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  clusterAccess,
  KubeconfigUnreadable,
  type ClusterAccess,
} from "../../src/runtime/cluster-access.ts";
import { ManualClock } from "../../src/runtime/clock.ts";
import { KubeClient } from "../../src/runtime/kube-client.ts";
import {
  createNamespace,
  execPluginKubeconfig,
  kubeconfigPath,
  kubectl,
  mintServiceAccountKubeconfig,
  mintServiceAccountToken,
  mintUserKubeconfig,
} from "../support/cluster.ts";

interface SelfSubjectReview {
  status: { userInfo: { username: string } };
}

/** Who the apiserver takes these credentials for. */
async function whoami(access: ClusterAccess): Promise<string> {
  const client = new KubeClient(access);
  try {
    const review = await client.request<SelfSubjectReview>(
      "POST",
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } },
    );
    return review.status.userInfo.username;
  } finally {
    await client.close();
  }
}

function access(file: string, clock = new ManualClock(0)): ClusterAccess {
  const resolved = clusterAccess(file, { env: process.env, clock });
  if (resolved === undefined) throw new Error(`${file} names no current cluster`);
  return resolved;
}

/**
 * A kubeconfig whose user is a client certificate: minted on the local plane; on an external one,
 * a copy of its admin kubeconfig (cluster:up's and kind's authenticate by a certificate).
 */
async function certificateKubeconfig(): Promise<{ file: string; user: string }> {
  if (inject("clusterKind") === "local") {
    return { file: await mintUserKubeconfig("cert-user"), user: "cert-user" };
  }
  const file = path.join(scratch, "admin");
  copyFileSync(kubeconfigPath(), file);
  return { file, user: kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]) };
}

let ns: string;
const scratch = mkdtempSync(path.join(tmpdir(), "callback-operator-access-"));

beforeAll(() => {
  ns = createNamespace("access");
});

describe("a kubeconfig resolved in a child process", () => {
  it("authenticates a client certificate and never resolves it again", async () => {
    const { file, user } = await certificateKubeconfig();
    const clock = new ManualClock(0);
    const cluster = access(file, clock);
    expect(await whoami(cluster)).toBe(user);
    // A static certificate is not read again: the file may even be gone.
    rmSync(file);
    clock.advance(3_600_000);
    expect(await whoami(cluster)).toBe(user);
  });

  it("authenticates a token", async () => {
    const file = await mintServiceAccountKubeconfig(ns, "token-user");
    expect(await whoami(access(file))).toBe(`system:serviceaccount:${ns}:token-user`);
  });

  it("runs an exec plugin, and again only once its answer may be stale", async () => {
    const runs = path.join(scratch, "runs");
    const token = mintServiceAccountToken(ns, "plugin-user");
    const file = await execPluginKubeconfig({ TOKEN: token, RUNS: runs });
    const clock = new ManualClock(0);
    const cluster = access(file, clock);
    const count = (): number => readFileSync(runs, "utf8").split("\n").filter(Boolean).length;
    expect(await whoami(cluster)).toBe(`system:serviceaccount:${ns}:plugin-user`);
    expect(count()).toBe(1);
    // Requests that start together share the startup's answer.
    await Promise.all([cluster.credentials(), cluster.credentials()]);
    expect(count()).toBe(1);
    clock.advance(60_000);
    await Promise.all([cluster.credentials(), cluster.credentials()]);
    expect(count()).toBe(2);
  });

  it("says why a kubeconfig cannot be read, naming the file", () => {
    const missing = path.join(scratch, "missing");
    expect(() => access(missing)).toThrow(KubeconfigUnreadable);
    expect(() => access(missing)).toThrow(`--kubeconfig "${missing}" could not be read: ENOENT`);
    const garbage = path.join(scratch, "garbage");
    writeFileSync(garbage, "clusters: [unclosed");
    expect(() => access(garbage)).toThrow(`--kubeconfig "${garbage}" could not be read:`);
  });

  it("is undefined for a kubeconfig without a current context", () => {
    const empty = path.join(scratch, "empty");
    writeFileSync(empty, "apiVersion: v1\nkind: Config\n");
    expect(clusterAccess(empty, { env: process.env })).toBeUndefined();
  });

  it("fails each request with the plugin's own words while its plugin fails, and recovers", async () => {
    const token = mintServiceAccountToken(ns, "plugin-user");
    const file = await execPluginKubeconfig({ TOKEN: token, FAIL: "1" });
    const cluster = access(file);
    await expect(whoami(cluster)).rejects.toThrow("the login of this plugin expired");
    // The user logs in again: the same process picks the plugin's next answer up.
    writeFileSync(file, readFileSync(await execPluginKubeconfig({ TOKEN: token }), "utf8"));
    expect(await whoami(cluster)).toBe(`system:serviceaccount:${ns}:plugin-user`);
  });
});
