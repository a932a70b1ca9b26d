import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort, isPortBound } from "./ports.ts";

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
