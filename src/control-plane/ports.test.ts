import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { freePort, isPortBound, socketsOnPort } from "./ports.ts";

describe("freePort", () => {
  it("hands out free loopback ports below the kernel's ephemeral range", async () => {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(16_000);
      expect(port).toBeLessThan(low);
      expect(await isPortBound(port)).toBe(false);
    }
  });
});

describe("socketsOnPort", () => {
  it("names the state and the owning process of each socket on a port", async () => {
    const port = await freePort();
    expect(socketsOnPort(port)).toEqual([]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect(socketsOnPort(port)).toEqual([
        expect.stringMatching(new RegExp(`^LISTEN \\(pid ${String(process.pid)} `)),
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
