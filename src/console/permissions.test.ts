import { describe, expect, it } from "vitest";
import type { ConsolePermissionSpec } from "../api/console-permission.ts";
import { grantsOf, type Person, type ServiceRef } from "./permissions.ts";

const alice: Person = { username: "alice", groups: ["team-a"], via: "local" };
const services: ServiceRef[] = [
  { namespace: "east", name: "support", groups: ["a"] },
  { namespace: "west", name: "support", groups: ["b"] },
  { namespace: "east", name: "sales", groups: ["b", "vip"] },
];

function roles(person: Person, permissions: ConsolePermissionSpec[]): Record<string, string> {
  return Object.fromEntries(
    [...grantsOf(person, permissions, services)].map(([key, grant]) => [key, grant.role]),
  );
}

const user = (name: string) => ({ kind: "User" as const, name });
const group = (name: string) => ({ kind: "Group" as const, name });

describe("grantsOf", () => {
  it("gives nothing without a permission, and nothing for another person's", () => {
    expect(roles(alice, [])).toEqual({});
    expect(roles(alice, [{ subjects: [user("bob")], role: "Administrator" }])).toEqual({});
    expect(roles(alice, [{ subjects: [group("team-b")], role: "Administrator" }])).toEqual({});
  });

  it("covers every service when services and namespaces are absent or empty", () => {
    const all = {
      "east/support": "Supervisor",
      "west/support": "Supervisor",
      "east/sales": "Supervisor",
    };
    expect(roles(alice, [{ subjects: [user("alice")], role: "Supervisor" }])).toEqual(all);
    expect(
      roles(alice, [
        { subjects: [user("alice")], role: "Supervisor", services: [], namespaces: [] },
      ]),
    ).toEqual(all);
  });

  it.each([
    ["a service name, in every namespace", ["support"], ["east/support", "west/support"]],
    ["namespace/name, exactly", ["west/support"], ["west/support"]],
    ["a virtual group", ["b"], ["west/support", "east/sales"]],
    ["a name and a group", ["sales", "a"], ["east/support", "east/sales"]],
    ["an unknown name", ["billing"], []],
  ])("matches %s", (_, entries, expected) => {
    const granted = roles(alice, [
      { subjects: [user("alice")], role: "CallbackReadOnly", services: entries },
    ]);
    expect(Object.keys(granted).sort()).toEqual([...expected].sort());
  });

  it("limits to the namespaces listed", () => {
    const granted = roles(alice, [
      {
        subjects: [user("alice")],
        role: "Supervisor",
        services: ["support"],
        namespaces: ["west"],
      },
    ]);
    expect(granted).toEqual({ "west/support": "Supervisor" });
  });

  it("matches groups of the person, not group-named users", () => {
    const bob: Person = { username: "team-a", groups: [], via: "oidc" };
    const permission: ConsolePermissionSpec = { subjects: [group("team-a")], role: "Supervisor" };
    expect(Object.keys(roles(alice, [permission]))).toHaveLength(3);
    expect(roles(bob, [permission])).toEqual({});
  });

  it("takes the strongest role of the permissions covering a service, per service", () => {
    const granted = roles(alice, [
      { subjects: [user("alice")], role: "CallbackReadOnly" },
      { subjects: [group("team-a")], role: "Supervisor", services: ["a"] },
      { subjects: [user("alice")], role: "Administrator", services: ["sales"] },
      { subjects: [user("alice")], role: "CallbackReadOnly", services: ["sales"] },
    ]);
    expect(granted).toEqual({
      "east/support": "Supervisor",
      "west/support": "CallbackReadOnly",
      "east/sales": "Administrator",
    });
  });

  it("gives each role its actions", () => {
    const actions = (role: "Administrator" | "Supervisor" | "CallbackReadOnly") =>
      grantsOf(
        alice,
        [{ subjects: [user("alice")], role, services: ["east/sales"] }],
        services,
      ).get("east/sales")?.actions;
    expect(actions("CallbackReadOnly")).toEqual(["view"]);
    expect(actions("Supervisor")).toEqual(["view", "cancel", "reschedule", "export"]);
    expect(actions("Administrator")).toEqual(["view", "cancel", "reschedule", "export"]);
  });
});
