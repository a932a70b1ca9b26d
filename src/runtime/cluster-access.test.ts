import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clusterAccess, inClusterAccess } from "./cluster-access.ts";

function serviceAccountDir(token: string): string {
  const root = mkdtempSync(path.join(tmpdir(), "callback-operator-sa-"));
  writeFileSync(path.join(root, "token"), `${token}\n`);
  writeFileSync(path.join(root, "ca.crt"), "-----BEGIN CERTIFICATE-----\nca\n");
  return root;
}

const inPod = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };

describe("the in-cluster credentials", () => {
  it("reach the apiserver's Service with the ServiceAccount's CA and token", async () => {
    const access = inClusterAccess(inPod, serviceAccountDir("first"));
    expect(access.server).toBe("https://10.96.0.1:443");
    expect(await access.credentials()).toEqual({
      tls: { ca: "-----BEGIN CERTIFICATE-----\nca\n" },
      headers: { authorization: "Bearer first" },
    });
  });

  it("read the token again on each call, since the kubelet rotates a projected token", async () => {
    const root = serviceAccountDir("first");
    const access = inClusterAccess(inPod, root);
    await access.credentials();
    writeFileSync(path.join(root, "token"), "second");
    expect((await access.credentials()).headers).toEqual({ authorization: "Bearer second" });
  });

  it("bracket an IPv6 Service address and speak plain HTTP on the insecure ports", () => {
    const root = serviceAccountDir("t");
    const v6 = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };
    expect(inClusterAccess(v6, root).server).toBe("https://[fd00::1]:443");
    const http = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "8080" };
    expect(inClusterAccess(http, root).server).toBe("http://10.0.0.1:8080");
  });

  it("are chosen without a kubeconfig anywhere: no KUBECONFIG, no ~/.kube/config", async () => {
    const root = serviceAccountDir("pod-token");
    const home = mkdtempSync(path.join(tmpdir(), "callback-operator-home-"));
    const access = clusterAccess(undefined, {
      env: { ...inPod, HOME: home },
      serviceAccountRoot: root,
    });
    expect(access?.server).toBe("https://10.96.0.1:443");
    expect((await access?.credentials())?.headers).toEqual({ authorization: "Bearer pod-token" });
  });

  it("give way to ~/.kube/config, as client-node's loadFromDefault does", async () => {
    const root = serviceAccountDir("pod-token");
    const home = mkdtempSync(path.join(tmpdir(), "callback-operator-home-"));
    mkdirSync(path.join(home, ".kube"));
    writeFileSync(
      path.join(home, ".kube", "config"),
      [
        "apiVersion: v1",
        "clusters: [{name: c, cluster: {server: 'https://home.example:6443/'}}]",
        "users: [{name: u, user: {token: home-token}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
      ].join("\n"),
    );
    const access = clusterAccess(undefined, {
      env: { ...inPod, HOME: home },
      serviceAccountRoot: root,
    });
    expect(access?.server).toBe("https://home.example:6443");
    expect((await access?.credentials())?.headers).toEqual({ authorization: "Bearer home-token" });
  });
});
