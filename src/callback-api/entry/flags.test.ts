import { describe, expect, it } from "vitest";
import { FlagError } from "../../runtime/flags.ts";
import { parseEntryFlags } from "./flags.ts";
import { OwnerCache } from "./owners.ts";

const parse = (argv: string[]) => parseEntryFlags(argv, {});

describe("callback-operator callback-api entry flags", () => {
  it("takes the upstreams as name=url, comma-separated", () => {
    const config = parse(["--upstreams", "a=http://127.0.0.1:8081, b=http://10.0.0.2:80"]);
    expect(config).toMatchObject({
      upstreams: {
        kind: "static",
        list: [
          { name: "a", url: "http://127.0.0.1:8081" },
          { name: "b", url: "http://10.0.0.2" },
        ],
      },
    });
  });

  it("discovers CallbackServices when no upstream is given", () => {
    expect(parse(["--namespaces", "x,y"])).toMatchObject({
      upstreams: { kind: "discovered", namespaces: ["x", "y"], clusterDomain: "cluster.local" },
    });
  });

  it.each([
    [["--upstreams", "a"], "is not name=url"],
    [["--upstreams", "a=ftp://x"], "must be http(s)://host[:port]"],
    [["--upstreams", "a=http://x/path"], "no credentials, path or query"],
    [["--upstreams", "a=http://x,a=http://y"], "given twice"],
    [["--upstreams", "a=http://x", "--namespaces", "n"], "--namespaces configures the discovery"],
    [["--admin-username", "admin"], "go together"],
    [["--upstream-timeout", "10"], "needs a unit"],
    [["--upstream-parallelism", "0"], "from 1 to 256"],
  ])("refuses %j with the fix", (argv, message) => {
    expect(() => parse(argv)).toThrow(FlagError);
    expect(() => parse(argv)).toThrow(message);
  });
});

describe("the owner cache", () => {
  it("keeps the most recently used ids within its bound", () => {
    const cache = new OwnerCache(2);
    cache.set("1", "a");
    cache.set("2", "b");
    expect(cache.get("1")).toBe("a");
    cache.set("3", "c");
    expect(cache.get("2")).toBeUndefined();
    expect(cache.get("1")).toBe("a");
    expect(cache.size).toBe(2);
    cache.forget("1");
    expect(cache.get("1")).toBeUndefined();
  });
});
