import { describe, expect, it } from "vitest";
import {
  callbackQuery,
  countsSignature,
  foundText,
  localInputToIso,
  nextSort,
  pageCount,
  type View,
} from "./query.ts";

const view: View = {
  filters: { state: "", from: "", to: "", customerNumber: "", service: "", group: "" },
  sort: "desiredTime",
  order: "asc",
  page: 1,
  pageSize: 50,
};

describe("the callback table's query", () => {
  it("sends only the sort and page when no filter is set (the API's default window)", () => {
    expect(callbackQuery(view).toString()).toBe("sort=desiredTime&order=asc&page=1&pageSize=50");
  });

  it("sends every filter, the dates as ISO instants", () => {
    const from = "2030-03-04T10:00";
    const query = callbackQuery({
      ...view,
      filters: {
        state: "QUEUED",
        from,
        to: "",
        customerNumber: " +16504661100 ",
        service: "ns/support",
        group: "gold",
      },
      page: 3,
    });
    expect(query.getAll("service")).toEqual(["ns/support"]);
    expect(query.get("group")).toBe("gold");
    expect(query.get("state")).toBe("QUEUED");
    expect(query.get("from")).toBe(new Date(from).toISOString());
    expect(query.has("to")).toBe(false);
    expect(query.get("customerNumber")).toBe("+16504661100");
    expect(query.get("page")).toBe("3");
  });

  it("narrows to the given services unless one service is chosen", () => {
    expect(callbackQuery(view, ["a/x", "b/y"]).getAll("service")).toEqual(["a/x", "b/y"]);
    const chosen = { ...view, filters: { ...view.filters, service: "a/x" } };
    expect(callbackQuery(chosen, ["b/y"]).getAll("service")).toEqual(["a/x"]);
  });

  it("ignores a date the browser cannot read", () => {
    expect(localInputToIso("not a date")).toBeUndefined();
    expect(localInputToIso(" ")).toBeUndefined();
  });
});

describe("sorting, paging and refresh rules", () => {
  it("flips the order on the same column and sorts a new column ascending", () => {
    expect(nextSort(view, "desiredTime")).toEqual({ sort: "desiredTime", order: "desc" });
    expect(nextSort({ ...view, order: "desc" }, "desiredTime").order).toBe("asc");
    expect(nextSort({ ...view, order: "desc" }, "state")).toEqual({ sort: "state", order: "asc" });
  });

  it.each([
    [0, 1],
    [50, 1],
    [51, 2],
    [250, 5],
  ])("%i callbacks make %i page(s) of 50", (total, pages) => {
    expect(pageCount(total, 50)).toBe(pages);
  });

  it("says how many callbacks were found", () => {
    expect(foundText(2)).toBe("2 callback(s) found");
  });

  it("changes the counts' signature only when a count changes, not their order in the object", () => {
    const one = [{ namespace: "a", name: "x", counts: { QUEUED: 1, SCHEDULED: 2 } }];
    const same = [{ namespace: "a", name: "x", counts: { SCHEDULED: 2, QUEUED: 1 } }];
    const more = [{ namespace: "a", name: "x", counts: { SCHEDULED: 3, QUEUED: 1 } }];
    expect(countsSignature(same)).toBe(countsSignature(one));
    expect(countsSignature(more)).not.toBe(countsSignature(one));
  });
});
