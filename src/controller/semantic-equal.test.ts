import { describe, expect, it } from "vitest";
import { containsDesired, staleKeys } from "./semantic-equal.ts";

describe("containsDesired", () => {
  const actual = {
    metadata: { name: "a", labels: { x: "1", y: "2" }, resourceVersion: "7" },
    spec: { ports: [{ port: 80, protocol: "TCP" }], type: "ClusterIP" },
  };

  it.each([
    ["an equal subset", { metadata: { labels: { x: "1" } } }, true],
    ["fields the server defaulted", { spec: { ports: [{ port: 80 }] } }, true],
    ["a changed value", { metadata: { labels: { x: "2" } } }, false],
    ["a missing field", { spec: { clusterIP: "None" } }, false],
    ["a list of another length", { spec: { ports: [{ port: 80 }, { port: 81 }] } }, false],
    ["an object where a string is", { spec: { type: { a: 1 } } }, false],
  ])("%s → %s", (_name, desired, expected) => {
    expect(containsDesired(desired, actual)).toBe(expected);
  });
});

describe("staleKeys", () => {
  it("lists owned keys that are no longer desired", () => {
    expect(
      staleKeys({ "g/a": "true" }, { "g/a": "true", "g/b": "true", other: "x" }, "g/"),
    ).toEqual(["g/b"]);
    expect(staleKeys(undefined, undefined, "g/")).toEqual([]);
  });
});
