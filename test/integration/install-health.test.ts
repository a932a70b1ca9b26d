// Health as GitOps tools see it, on objects the real controller wrote: the Argo CD Lua check
// (charts/callback-operator/argocd/health.lua, run as Argo CD runs it: gopher-lua, Lua 5.1) and
// kstatus (the library of Flux's health checks and Helm 4's --wait) give every state its expected
// verdict.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { argocdHealth } from "../support/argocd-health.ts";
import {
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  uniqueName,
} from "../support/cluster.ts";
import { kstatus } from "../support/kstatus.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
const healthLua = path.join(repoRoot, "charts/callback-operator/argocd/health.lua");

interface KubeObject {
  metadata: { name: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
}

let operator: RunningOperator | undefined;
let ns = "";
const template = uniqueName("health-template");

const apply = (object: unknown, namespace?: string): void => {
  kubectl(
    [
      "apply",
      "--server-side",
      "--field-manager=test-user",
      ...(namespace === undefined ? [] : ["-n", namespace]),
      "-f",
      "-",
    ],
    { input: stringify(object) },
  );
};

const service = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "CallbackService",
  metadata: { name },
  spec: { scenario: "User-Terminated-Immediate", ...spec },
});

const options = { _route_point: "8999@SIP_Switch" };
const getService = (name: string): KubeObject =>
  kubectlJson<KubeObject>(["get", "cbs", name, "-n", ns]);
const getTemplate = (name: string): KubeObject =>
  kubectlJson<KubeObject>(["get", "servicetemplate", name]);
const has = (o: KubeObject, type: string, status: string, reason?: string): boolean =>
  o.status?.observedGeneration === o.metadata.generation &&
  (o.status?.conditions ?? []).some(
    (c) => c.type === type && c.status === status && (reason === undefined || c.reason === reason),
  );
/** Waits until `check` holds (beforeAll cannot use expect.poll). */
async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Objects the controller wrote, by health state. */
const observed = new Map<string, unknown>();

beforeAll(async () => {
  installCrds();
  ns = createNamespace("health");
  operator = await startOperator("health");
  const builtin = parse(
    readFileSync(path.join(repoRoot, "dist/callback-template.yaml"), "utf8"),
  ) as {
    metadata: Record<string, unknown>;
  };
  apply({ ...builtin, metadata: { ...builtin.metadata, name: template } });
  apply(service("healthy", { options }), ns);
  apply(
    service("progressing", {
      options,
      route: { parentRefs: [{ name: "public", namespace: "gateway-system" }] },
    }),
    ns,
  );
  apply(service("degraded", { template: "no-such-template", options }), ns);
  apply(service("suspended", { options }), ns);
  await until(() => has(getService("healthy"), "Ready", "True"));
  await until(() => has(getService("suspended"), "Ready", "True"));
  apply(service("suspended", { options, suspend: true }), ns);
  await until(() => has(getService("progressing"), "Reconciling", "True"));
  await until(() => has(getService("degraded"), "Stalled", "True"));
  await until(() => has(getService("suspended"), "Ready", "True", "Suspended"));
  await until(() => has(getTemplate(template), "Ready", "True"));
  observed.set("healthy", getService("healthy"));
  observed.set("progressing", getService("progressing"));
  observed.set("degraded", getService("degraded"));
  observed.set("suspended", getService("suspended"));
  observed.set("template-healthy", getTemplate(template));

  // With the operator stopped: a change it has not seen, an object it never saw, one being deleted.
  await operator.stop();
  apply(service("healthy", { options: { ...options, _ttl: "120" } }), ns);
  observed.set("generation-not-observed", getService("healthy"));
  apply(service("no-status", { options }), ns);
  observed.set("no-status", getService("no-status"));
  kubectl([
    "patch",
    "cbs",
    "suspended",
    "-n",
    ns,
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":["test.callback-operator.io/hold"]}}',
  ]);
  kubectl(["delete", "cbs", "suspended", "-n", ns, "--wait=false"]);
  observed.set("deleting", getService("suspended"));
  kubectl([
    "patch",
    "cbs",
    "suspended",
    "-n",
    ns,
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":null}}',
  ]);
  kubectl([
    "patch",
    "servicetemplate",
    template,
    "--type=merge",
    "-p",
    '{"spec":{"description":"changed"}}',
  ]);
  observed.set("template-generation-not-observed", getTemplate(template));
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  kubectl(["delete", "servicetemplate", template, "--ignore-not-found", "--wait=false"]);
});

/** state → [Argo CD health, kstatus status]. */
const expected: [string, string, string][] = [
  ["healthy", "Healthy", "Current"],
  ["progressing", "Progressing", "InProgress"],
  ["degraded", "Degraded", "Failed"],
  ["suspended", "Suspended", "Current"],
  ["generation-not-observed", "Progressing", "InProgress"],
  // kstatus counts an object without conditions as Current (its rule 5); Argo CD waits.
  ["no-status", "Progressing", "Current"],
  ["deleting", "Progressing", "Terminating"],
  ["template-healthy", "Healthy", "Current"],
  ["template-generation-not-observed", "Progressing", "InProgress"],
];

describe("health of objects the controller wrote", () => {
  it.each(expected)("%s: Argo CD says %s", async (state, argo) => {
    const [health] = await argocdHealth(healthLua, [observed.get(state)]);
    expect(health?.status).toBe(argo);
    expect(health?.message).not.toBe("");
  });

  it("kstatus (Flux, Helm 4 --wait) gives each state its status", async () => {
    const states = expected.map(([state]) => state);
    const results = await kstatus(states.map((s) => observed.get(s)));
    expect(Object.fromEntries(states.map((s, i) => [s, results[i]?.status]))).toEqual(
      Object.fromEntries(expected.map(([state, , status]) => [state, status])),
    );
  });

  it("the checks run on Argo CD's interpreter (Lua 5.1), which refuses what Lua 5.3+ accepts", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "argocd-lua-"));
    const script = (name: string, body: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      return file;
    };
    const object = { metadata: { name: "x", generation: 3 } };
    // Integer division (5.3) is a syntax error in Lua 5.1.
    await expect(
      argocdHealth(
        script(
          "floor.lua",
          'local hs = {}\nhs.status = "Healthy"\nhs.message = tostring(7 // 2)\nreturn hs\n',
        ),
        [object],
      ),
    ).rejects.toThrow(/argocd-health failed/);
    // Argo CD closes io: a script that reads files fails.
    await expect(
      argocdHealth(
        script("io.lua", 'local f = io.open("/etc/hostname")\nreturn {status = "Healthy"}\n'),
        [object],
      ),
    ).rejects.toThrow(/argocd-health failed/);
    // Numbers are Lua 5.1 numbers (floats), and a status outside Argo CD's set reads as Unknown.
    const [generation, invalid] = await argocdHealth(
      script(
        "ok.lua",
        'return {status = obj.status == nil and "Healthy" or "Sick", message = tostring(obj.metadata.generation / 2)}\n',
      ),
      [object, { ...object, status: {} }],
    );
    expect(generation).toEqual({ status: "Healthy", message: "1.5" });
    expect(invalid).toEqual({
      status: "Unknown",
      message: "Lua returned an invalid health status",
    });
  });

  it("the Lua check covers the four Argo CD states", () => {
    expect(new Set(expected.map(([, argo]) => argo))).toEqual(
      new Set(["Healthy", "Progressing", "Degraded", "Suspended"]),
    );
  });
});
