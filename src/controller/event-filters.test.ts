import { describe, expect, it } from "vitest";
import { onlyStatusChanged } from "./event-filters.ts";
import type { KubeObject } from "../runtime/kube-client.ts";

const service = (meta: Record<string, unknown>, status: unknown = {}): KubeObject => ({
  metadata: { name: "a", generation: 1, labels: { x: "1" }, ...meta },
  status,
});

describe("onlyStatusChanged", () => {
  it("is true for the operator's own status write echoed back", () => {
    expect(
      onlyStatusChanged(
        service({ resourceVersion: "2" }, { ready: true }),
        service({ resourceVersion: "1" }),
      ),
    ).toBe(true);
  });

  it("is false for a spec change, a label or annotation change, or a deletion", () => {
    const old = service({});
    expect(onlyStatusChanged(service({ generation: 2 }), old)).toBe(false);
    expect(onlyStatusChanged(service({ labels: {} }), old)).toBe(false);
    expect(
      onlyStatusChanged(
        service({ annotations: { "callback-operator.io/requested-at": "t" } }),
        old,
      ),
    ).toBe(false);
    expect(onlyStatusChanged(service({ deletionTimestamp: "2026-11-25T00:00:00Z" }), old)).toBe(
      false,
    );
    expect(onlyStatusChanged(service({ finalizers: ["f"] }), old)).toBe(false);
  });
});
