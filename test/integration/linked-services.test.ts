// Office-hours and capacity services on the real control plane (gms-reference-2.md §2.3, §3;
// docs/adr/0102): a callback service naming a missing office-hours service says so in its status,
// and the warning goes once the office-hours service exists, without polling (the event of the
// named service reconciles its referrers). The office-hours service is Ready with only its
// ConfigMap; switching it to a callback template and back prunes what it no longer renders.
import path from "node:path";
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

const examples = path.join(import.meta.dirname, "../../examples");
let operator: RunningOperator;

beforeAll(async () => {
  installCrds();
  operator = await startOperator("linked-services");
});

afterAll(async () => {
  await operator.stop();
});

interface ServiceObject {
  status?: {
    warnings?: string[];
    url?: string;
    conditions?: { type: string; status: string; message: string }[];
  };
}

interface PodTemplate {
  spec: {
    containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
    volumes: { name: string; configMap?: { name: string; optional?: boolean } }[];
  };
}

const poll = { timeout: 60_000, interval: 250 };

const apply = (object: unknown, ns: string): string =>
  kubectl(
    [
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=test-user",
      "-n",
      ns,
      "-f",
      "-",
    ],
    { input: stringify(object) },
  );

const callbackService = (name: string, spec: Record<string, unknown>): unknown => ({
  apiVersion: "callback-operator.io/v1alpha1",
  kind: "CallbackService",
  metadata: { name },
  spec,
});

const getService = (ns: string, name: string): ServiceObject =>
  kubectlJson<ServiceObject>(["get", "-n", ns, "cbs", name]);
const warnings = (ns: string, name: string): string[] =>
  getService(ns, name).status?.warnings ?? [];
const exists = (ns: string, kind: string, name: string): boolean =>
  tryKubectl(["get", "-n", ns, kind, name]).status === 0;
const waitReady = (ns: string, name: string): void => {
  kubectl(["wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", `cbs/${name}`]);
};

const missingWarning =
  "option _business_hours_service: the office-hours service office-hours does not exist in namespace";

describe("a callback service naming an office-hours service", () => {
  it("warns while it is missing, mounts it optionally, and the warning goes once the office-hours service is created, Ready with only its ConfigMap", async () => {
    const ns = createNamespace("linked");
    // The black-friday example's options, on the default Ingress and PostgreSQL-less storage.
    apply(
      callbackService("callback-blackfriday-support", {
        scenario: "User-Terminated-Scheduled",
        options: {
          _target: "Support@StatServer.GA",
          _route_point: "8999@SIP_Switch",
          _business_hours_service: "office-hours",
          _max_request_by_time_bucket: "40",
        },
      }),
      ns,
    );
    await expect
      .poll(() => warnings(ns, "callback-blackfriday-support").join("\n"), poll)
      .toContain(missingWarning);
    // Still started: the volume is optional, so a missing office-hours service does not block the pod.
    waitReady(ns, "callback-blackfriday-support");
    const workload = kubectlJson<{ spec: { template: PodTemplate } }>([
      "get",
      "-n",
      ns,
      "statefulset",
      "callback-blackfriday-support",
    ]);
    const pod = workload.spec.template;
    // The apiserver adds defaultMode to the volume we render.
    const volume = pod.spec.volumes.find((v) => v.name === "linked-service-0");
    expect(volume?.configMap).toMatchObject({ name: "service.office-hours", optional: true });
    expect(pod.spec.containers[0]?.volumeMounts).toContainEqual(
      expect.objectContaining({ mountPath: "/etc/callback-operator/services/office-hours" }),
    );
    expect(pod.spec.containers[0]?.args.join(" ")).toContain(
      "--services-dir /etc/callback-operator/services",
    );

    kubectl(["apply", "--server-side", "-n", ns, "-f", path.join(examples, "office-hours.yaml")]);
    waitReady(ns, "office-hours");
    const officeHours = getService(ns, "office-hours");
    expect(officeHours.status?.url).toBeUndefined();
    expect(officeHours.status?.warnings).toBeUndefined();
    const section = kubectlJson<{ data: Record<string, string> }>([
      "get",
      "-n",
      ns,
      "configmap",
      "service.office-hours",
    ]);
    expect(section.data).toMatchObject({
      _service: "office-hours",
      _type: "builtin",
      _timezone: "America/New_York",
      _bh_regular1: "Mon-Fri 8:00-20:00",
      _holiday1: "12-25",
    });
    for (const kind of ["deployment", "statefulset", "service", "ingress"]) {
      expect(exists(ns, kind, "office-hours"), kind).toBe(false);
    }
    await expect
      .poll(() => warnings(ns, "callback-blackfriday-support").join("\n"), poll)
      .not.toContain(missingWarning);

    // A service of the wrong serviceType is named as such; it runs a Callback API now.
    apply(
      callbackService("office-hours", {
        template: "callback",
        scenario: "User-Terminated-Immediate",
        options: { _route_point: "8999@SIP_Switch" },
      }),
      ns,
    );
    await expect
      .poll(() => warnings(ns, "callback-blackfriday-support").join("\n"), poll)
      .toContain(
        "option _business_hours_service: CallbackService office-hours is not an office-hours service (its ServiceTemplate callback has serviceType callback)",
      );
    await expect.poll(() => exists(ns, "statefulset", "office-hours"), poll).toBe(true);

    // Back to section-only: the kinds it no longer renders are pruned.
    kubectl([
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=test-user",
      "-n",
      ns,
      "-f",
      path.join(examples, "office-hours.yaml"),
    ]);
    await expect
      .poll(
        () =>
          ["statefulset", "service", "ingress"].filter((kind) => exists(ns, kind, "office-hours")),
        poll,
      )
      .toEqual([]);
    waitReady(ns, "office-hours");
    await expect
      .poll(() => warnings(ns, "callback-blackfriday-support").join("\n"), poll)
      .not.toContain("office-hours");
  });
});
