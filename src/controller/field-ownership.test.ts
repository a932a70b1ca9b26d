import { describe, expect, it } from "vitest";
import { adoptLegacyFields, withoutFields, type ManagedFieldsEntry } from "./field-ownership.ts";

const now = "2026-11-29T08:00:00Z";

describe("adoptLegacyFields", () => {
  const legacy: ManagedFieldsEntry = {
    manager: "callback-operator (node-a_42)",
    operation: "Update",
    apiVersion: "callback-operator.io/v1alpha1",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:spec": { "f:options": { 'k:{"name":"_a"}': { ".": {}, "f:default": {} } } } },
  };
  const status: ManagedFieldsEntry = {
    manager: "callback-operator",
    operation: "Apply",
    subresource: "status",
    fieldsV1: { "f:status": { "f:revision": {} } },
  };
  const user: ManagedFieldsEntry = {
    manager: "kubectl-edit",
    operation: "Update",
    fieldsV1: { "f:spec": { "f:options": { 'k:{"name":"_b"}': { "f:default": {} } } } },
  };

  it("folds the older operator's Update entries into the apply manager's Apply entry", () => {
    const second: ManagedFieldsEntry = {
      ...legacy,
      manager: "callback-operator (node-b_7)",
      fieldsV1: { "f:metadata": { "f:labels": { "f:x": {} } } },
    };
    const result = adoptLegacyFields(
      [legacy, second, status, user],
      "callback-operator",
      "callback-operator.io/v1alpha1",
      now,
    );
    expect(result).toEqual([
      status,
      user,
      {
        manager: "callback-operator",
        operation: "Apply",
        apiVersion: "callback-operator.io/v1alpha1",
        time: now,
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:spec": { "f:options": { 'k:{"name":"_a"}': { ".": {}, "f:default": {} } } },
          "f:metadata": { "f:labels": { "f:x": {} } },
        },
      },
    ]);
  });

  it("merges with an Apply entry the manager already has", () => {
    const ours: ManagedFieldsEntry = {
      manager: "callback-operator",
      operation: "Apply",
      fieldsV1: { "f:spec": { "f:description": {} } },
    };
    const result = adoptLegacyFields([ours, legacy], "callback-operator", "v", now);
    expect(result?.[0]?.fieldsV1).toEqual({
      "f:spec": {
        "f:description": {},
        "f:options": { 'k:{"name":"_a"}': { ".": {}, "f:default": {} } },
      },
    });
  });

  it("leaves everything alone when no older operator created fields (a person's, an applied one)", () => {
    expect(adoptLegacyFields([status, user], "callback-operator", "v", now)).toBeUndefined();
    // The same manager name with Apply, or a status write, is not the older operator's POST.
    expect(
      adoptLegacyFields(
        [
          { ...legacy, operation: "Apply" },
          { ...legacy, subresource: "status" },
        ],
        "callback-operator",
        "v",
        now,
      ),
    ).toBeUndefined();
    expect(
      adoptLegacyFields([{ ...legacy, manager: "callback-operator-tests" }], "x", "v", now),
    ).toBeUndefined();
  });
});

describe("withoutFields", () => {
  const config = {
    metadata: { name: "callback", labels: { "app.kubernetes.io/managed-by": "callback-operator" } },
    spec: {
      description: "d",
      options: [
        { name: "_a", type: "enum", enum: ["x", "y"], default: "x" },
        { name: "_ab", default: "1" },
      ],
      scenarios: [{ name: "S", values: { _a: "y", _ab: "2" } }],
    },
  };

  it("removes the fields named in the apiserver's notation, and only those", () => {
    const { config: result, unknown } = withoutFields(config, [
      '.spec.options[name="_a"].default',
      '.spec.options[name="_a"].enum[="y"]',
      '.spec.scenarios[name="S"].values._ab',
      ".metadata.labels.app.kubernetes.io/managed-by",
      ".spec.description",
    ]);
    expect(unknown).toEqual([]);
    expect(result).toEqual({
      metadata: { name: "callback", labels: {} },
      spec: {
        options: [
          { name: "_a", type: "enum", enum: ["x"] },
          { name: "_ab", default: "1" },
        ],
        scenarios: [{ name: "S", values: { _a: "y" } }],
      },
    });
    // The input is not changed.
    expect(config.spec.options[0]?.default).toBe("x");
  });

  it("reports a path that names no field of the configuration", () => {
    const { config: result, unknown } = withoutFields(config, [
      '.spec.options[name="_zz"].default',
      ".spec.serviceType",
    ]);
    expect(unknown).toEqual(['.spec.options[name="_zz"].default', ".spec.serviceType"]);
    expect(result).toEqual(config);
  });
});
