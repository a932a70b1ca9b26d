// The ConsolePermission CRD on the real apiserver (ADR 0130): a valid permission is stored as the
// zod schema parses it, `kubectl explain` and `kubectl get cperm` say what users need, and each
// bound (role, subjects, kinds, names, service entries) is refused with a message naming the field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consolePermissionSchema } from "../../src/api/console-permission.ts";
import { installCrds, kubectl, kubectlJson, tryKubectl, uniqueName } from "../support/cluster.ts";

const created: string[] = [];

function permission(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "ConsolePermission",
    metadata: { name },
    spec,
  });
}

beforeAll(() => {
  installCrds();
});

afterAll(() => {
  for (const name of created) kubectl(["delete", "cperm", name, "--ignore-not-found"]);
});

it("stores a valid permission as the zod schema parses it, and lists it with kubectl get cperm", () => {
  const name = uniqueName("supervisors");
  created.push(name);
  const spec = {
    subjects: [
      { kind: "User", name: "alice" },
      { kind: "Group", name: "contact-center/supervisors" },
    ],
    role: "Supervisor",
    services: ["support", "blackfriday", "east/sales"],
    namespaces: ["east"],
  };
  kubectl(["apply", "--server-side", "-f", "-"], { input: permission(name, spec) });
  const stored = kubectlJson<unknown>(["get", "consolepermission", name]);
  expect(consolePermissionSchema.parse(stored).spec).toEqual(spec);
  const table = kubectl(["get", "cperm", name]);
  expect(table.split("\n")[0]).toMatch(/^NAME\s+ROLE\s+SERVICES\s+AGE/);
  expect(table).toContain("Supervisor");
  expect(kubectl(["get", "callback"])).toBeDefined();
});

it("explains its fields", () => {
  const explained = kubectl(["explain", "consolepermission.spec"]);
  for (const field of ["subjects", "role", "services", "namespaces"])
    expect(explained).toContain(field);
  expect(explained).toContain("gms/roles");
  expect(kubectl(["explain", "consolepermission.spec.services"])).toContain("_service_groups");
});

describe("refuses", () => {
  const user = { kind: "User", name: "alice" };
  it.each([
    ["an unknown role", { subjects: [user], role: "Manager" }, "spec.role"],
    ["no subject", { subjects: [], role: "Supervisor" }, "spec.subjects"],
    [
      "more than 100 subjects",
      {
        subjects: Array.from({ length: 101 }, (_, i) => ({ kind: "User", name: `u${i}` })),
        role: "Supervisor",
      },
      "spec.subjects",
    ],
    [
      "a subject kind other than User or Group",
      { subjects: [{ kind: "Team", name: "a" }], role: "Supervisor" },
      "spec.subjects[0].kind",
    ],
    [
      "a subject name too long",
      { subjects: [{ kind: "User", name: "a".repeat(257) }], role: "Supervisor" },
      "spec.subjects[0].name",
    ],
    [
      "a service entry that is no name",
      { subjects: [user], role: "Supervisor", services: ["support team"] },
      'spec.services: "support team"',
    ],
    [
      "a namespace that is no name",
      { subjects: [user], role: "Supervisor", namespaces: ["East"] },
      "spec.namespaces",
    ],
  ])("%s", (_, spec, named) => {
    const name = uniqueName("bad");
    const result = tryKubectl(["apply", "--server-side", "-f", "-"], {
      input: permission(name, spec),
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(named);
    expect(tryKubectl(["get", "cperm", name]).status).not.toBe(0);
  });
});
