import { describe, expect, it } from "vitest";
import {
  mergeCancel,
  mergeCsv,
  mergeQueues,
  mergeRecords,
  mergeServices,
  mergeWatermarks,
} from "./merge.ts";

describe("merging the answers of several Callback APIs", () => {
  it("lists each record once, up to the limit (a shared store answers the admin twice)", () => {
    const a = { _id: "A", _service_name: "a" };
    const b = { _id: "B", _service_name: "b" };
    expect(mergeRecords([[a, b], [b], [a]], 10)).toEqual([a, b]);
    expect(mergeRecords([[a], [b]], 1)).toEqual([a]);
  });

  it("merges the queues by service, bounded in all", () => {
    const merged = mergeQueues(
      [
        { a: [{ _id: "1" }], b: [] },
        { a: [{ _id: "1" }], c: [{ _id: "2" }, { _id: "3" }] },
      ],
      2,
    );
    expect(merged).toEqual({ a: [{ _id: "1" }], b: [], c: [{ _id: "2" }] });
  });

  it("cancels an id where any service cancelled it; not found only where none had it", () => {
    const merged = mergeCancel(
      ["x", "y", "z", "w"],
      [
        { cancelled: ["x"], not_found: ["y", "z", "w"], already_completed: [] },
        { cancelled: [], not_found: ["z"], already_completed: ["x", "y"] },
        { cancelled: ["w"], not_found: ["x", "y", "z"], already_completed: [] },
      ],
    );
    expect(merged).toEqual({ cancelled: ["x", "w"], not_found: ["z"], already_completed: ["y"] });
  });

  it("takes each service's largest watermark (others answer 0 for a name they do not hold)", () => {
    expect(
      mergeWatermarks([
        { services: { a: 3, b: 0 }, total: 3 },
        { services: { a: 0, b: 2 }, total: 2 },
      ]),
    ).toEqual({ services: { a: 3, b: 2 }, total: 5 });
  });

  it("lists each service once, by name", () => {
    const b = { name: "b", _service_groups: "", queued: 1 };
    const a = { name: "a", _service_groups: "g", queued: 0 };
    expect(mergeServices([{ services: [b] }, { services: [a, { ...b, queued: 0 }] }])).toEqual({
      services: [a, b],
    });
  });

  it("keeps one CSV header and each distinct line", () => {
    expect(mergeCsv(["id,reason\n1,X\n", "id,reason\r\n2,Y\r\n1,X\r\n", ""])).toBe(
      "id,reason\n1,X\n2,Y\n",
    );
    expect(mergeCsv([])).toBe("");
  });
});
