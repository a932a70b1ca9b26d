import { describe, expect, it } from "vitest";
import { ConsoleError } from "./errors.ts";
import { columnsOf, itemsCsv, parseListQuery, sortItems, toItem } from "./listing.ts";

const now = Date.parse("2030-03-04T10:00:00.000Z");

function problem(query: Record<string, unknown>): string {
  try {
    parseListQuery(query, now);
  } catch (error) {
    if (error instanceof ConsoleError) return `${error.status} ${error.message}`;
    throw error;
  }
  return "accepted";
}

describe("parseListQuery", () => {
  it("defaults to the GMS window, every listable state, desired time ascending, page 1 of 50", () => {
    expect(parseListQuery({}, now)).toEqual({
      services: [],
      group: undefined,
      states: ["SCHEDULED", "QUEUED", "ROUTING", "PROCESSING", "COMPLETED"],
      from: now - 15 * 60_000,
      to: now + 86_400_000,
      customerNumber: undefined,
      sort: "desiredTime",
      order: "asc",
      page: 1,
      pageSize: 50,
    });
  });

  it("takes repeated services and states", () => {
    const query = parseListQuery({ service: ["a/x", "b/y"], state: ["QUEUED", "SCHEDULED"] }, now);
    expect(query.services).toEqual(["a/x", "b/y"]);
    expect(query.states).toEqual(["QUEUED", "SCHEDULED"]);
  });

  it.each([
    [{ state: "DONE" }, "state"],
    [{ from: "yesterday" }, "from"],
    [{ from: "2030-03-05T00:00:00Z", to: "2030-03-04T00:00:00Z" }, "from is after to"],
    [{ pageSize: "251" }, "pageSize"],
    [{ page: "0" }, "page"],
    [{ sort: "id" }, "sort"],
    [{ order: "up" }, "order"],
    [{ group: ["a", "b"] }, "group"],
    [{ customerNumber: "1".repeat(129) }, "customerNumber"],
  ])("refuses %j with a 400 naming %s", (query, field) => {
    expect(problem(query)).toMatch(new RegExp(`^400 .*${field}`));
  });
});

describe("rows", () => {
  const a = toItem("ns/a", {
    _id: "1",
    _callback_state: "QUEUED",
    _desired_time: "2030-03-04T11:00:00.000Z",
    _customer_number: "+15115",
    url: "http://x",
    order: "=1+2",
  });
  const b = toItem("ns/b", {
    _id: "2",
    _callback_state: "SCHEDULED",
    _desired_time: "2030-03-04T09:00:00.000Z",
    _customer_number: "+15116",
    _callback_reason: "CANCELLED",
    tier: "gold",
  });

  it("keeps user data apart from GMS keys", () => {
    expect(a.custom).toEqual({ order: "=1+2" });
    expect(b.reason).toBe("CANCELLED");
  });

  it("sorts by the key, either way", () => {
    expect(sortItems([a, b], "desiredTime", "asc").map((i) => i.id)).toEqual(["2", "1"]);
    expect(sortItems([a, b], "state", "asc").map((i) => i.id)).toEqual(["1", "2"]);
    expect(sortItems([a, b], "service", "desc").map((i) => i.id)).toEqual(["2", "1"]);
  });

  it("labels custom columns by their alias, then lists the other keys", () => {
    expect(columnsOf([{ tier: "Tier" }], [a, b])).toEqual([
      { key: "tier", label: "Tier" },
      { key: "order", label: "order" },
    ]);
  });

  it("writes CSV with formula cells neutralised", () => {
    const csv = itemsCsv([a], [{ key: "order", label: "Order" }]);
    expect(csv).toBe(
      "State,Desired Callback Time,Phone Number,Service Name,Reason,Callback ID,Order\r\n" +
        "QUEUED,2030-03-04T11:00:00.000Z,+15115,ns/a,,1,'=1+2\r\n",
    );
  });
});
