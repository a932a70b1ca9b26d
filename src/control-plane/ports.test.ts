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

describe("freePort across processes", () => {
  it("never hands out a port another process was handed and has not yet listened on", async () => {
    const script = `import { freePort } from ${JSON.stringify(new URL("./ports.ts", import.meta.url).pathname)};
      const ports = []; for (let i = 0; i < 400; i++) ports.push(await freePort());
      process.stdout.write(JSON.stringify(ports)); setTimeout(() => {}, 3000);`;
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script]);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.endsWith("]")) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    const theirs = new Set(JSON.parse(out) as number[]);
    const ours = [];
    for (let i = 0; i < 400; i++) ours.push(await freePort());
    child.kill();
    expect(theirs.size).toBe(400);
    expect(ours.filter((port) => theirs.has(port))).toEqual([]);
  });
});
