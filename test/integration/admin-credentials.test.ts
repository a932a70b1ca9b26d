// Admin credentials of operator-made Callback APIs on the real control plane (issue 17 item 6:
// GMS's admin endpoints, /genesys/1/admin/callback/..., were 403 on every pod the operator made).
// The operator's --admin-credentials-secret reaches every service without its own
// spec.api.adminSecretRef, and a service's own reference wins; either way the pod gets the user
// name from the Secret's `username` key as an environment variable and the `password` key as a
// file of a Secret volume, which the API re-reads per request. The operator never reads the Secret:
// none exists in these namespaces, and the services still reconcile; kwok's node has no kubelet to
// refuse a pod whose Secret is missing (the real kubelet's refusal is what reports it, as for the
// database and password Secrets: docs/operations.md, "Secrets").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
} from "../support/cluster.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

let operator: RunningOperator;

beforeAll(async () => {
  installCrds();
  operator = await startOperator("admin-credentials", [
    "--admin-credentials-secret=callback-admin",
  ]);
});

afterAll(async () => {
  await operator.stop();
});

interface Container {
  args: string[];
  env?: { name: string; valueFrom?: unknown }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface Workload {
  spec: { template: { spec: { containers: Container[]; volumes: { name: string }[] } } };
}

interface ServiceObject {
  status?: { conditions?: { type: string; status: string; message: string }[] };
}

const apply = (object: unknown, ns: string): ReturnType<typeof tryKubectl> =>
  tryKubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
    input: stringify(object),
  });

const callbackService = (name: string, api: Record<string, unknown>): unknown => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "CallbackService",
  metadata: { name },
  spec: {
    scenario: "User-Terminated-Immediate",
    options: { _route_point: "8999@SIP_Switch" },
    api,
  },
});

const poll = { timeout: 60_000, interval: 250 };

/** The workload's admin parts, once the operator has applied it. */
async function adminParts(ns: string, kind: string, name: string) {
  await expect.poll(() => tryKubectl(["get", "-n", ns, kind, name]).status, poll).toBe(0);
  const spec = kubectlJson<Workload>(["get", "-n", ns, kind, name]).spec.template.spec;
  const container = spec.containers[0];
  const args = container?.args ?? [];
  return {
    env: container?.env?.filter((e) => e.name === "CALLBACK_API_ADMIN_USERNAME"),
    passwordFile: args[args.indexOf("--admin-password-file") + 1],
    mount: container?.volumeMounts.find((m) => m.name === "admin"),
    volume: spec.volumes.find((v) => v.name === "admin"),
  };
}

/** What the apiserver stores for an admin Secret named `secret` (it adds the volume's defaultMode). */
const expected = (secret: string) => ({
  env: [
    {
      name: "CALLBACK_API_ADMIN_USERNAME",
      valueFrom: { secretKeyRef: { name: secret, key: "username" } },
    },
  ],
  passwordFile: "/etc/callback-operator/admin/password",
  mount: { name: "admin", mountPath: "/etc/callback-operator/admin", readOnly: true },
  volume: {
    name: "admin",
    secret: {
      secretName: secret,
      defaultMode: 0o644,
      items: [{ key: "password", path: "password" }],
    },
  },
});

describe("admin credentials of a service's Callback API", () => {
  it("come from the operator's --admin-credentials-secret (StatefulSet) unless spec.api.adminSecretRef names another (Deployment), though neither Secret exists", async () => {
    const ns = createNamespace("admin");
    expect(apply(callbackService("by-default", {}), ns).status).toBe(0);
    expect(
      apply(
        callbackService("own-admin", {
          adminSecretRef: { name: "support-admin" },
          databaseSecretRef: { name: "db" },
        }),
        ns,
      ).status,
    ).toBe(0);

    expect(await adminParts(ns, "statefulset", "by-default")).toEqual(expected("callback-admin"));
    const own = await adminParts(ns, "deployment", "own-admin");
    expect(own).toEqual(expected("support-admin"));
    const ownSpec = kubectl(["get", "-n", ns, "deployment", "own-admin", "-o", "json"]);
    expect(ownSpec).not.toContain("callback-admin");

    // No Secret in the namespace: the operator does not look for it; its part (the section and the
    // workload) is done, and availability is the kubelet's to report.
    expect(kubectl(["get", "secrets", "-n", ns, "-o", "name"]).trim()).toBe("");
    for (const name of ["by-default", "own-admin"]) {
      await expect
        .poll(
          () =>
            kubectlJson<ServiceObject>(["get", "-n", ns, "cbs", name]).status?.conditions?.find(
              (c) => c.type === "ConfigApplied",
            )?.status,
          poll,
        )
        .toBe("True");
    }

    // Dropping the reference falls back to the operator's Secret: the pod template follows.
    kubectl([
      "patch",
      "-n",
      ns,
      "cbs",
      "own-admin",
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/spec/api/adminSecretRef"}]',
    ]);
    await expect
      .poll(async () => (await adminParts(ns, "deployment", "own-admin")).env, poll)
      .toEqual(expected("callback-admin").env);
  });

  it("refuses a reference that is not a Secret name, naming the field, and explains the field", () => {
    const ns = createNamespace("admin-bad");
    const result = apply(callbackService("bad", { adminSecretRef: { name: "Admin_Creds" } }), ns);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("spec.api.adminSecretRef.name");
    const explained = kubectl(["explain", "callbackservices.spec.api.adminSecretRef"]);
    expect(explained).toContain("--admin-credentials-secret");
    expect(explained).toMatch(/username\s+and\s+password/);
  });
});
