import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * A free loopback port below the kernel's ephemeral range. Ports from the ephemeral range (what
 * `listen(0)` hands out) are also what every outgoing connection on the machine is bound to: when
 * a test restarts a component on its old port, the moment the old process is gone any connection
 * elsewhere may take that port and the restart fails with EADDRINUSE (seen in CI: the apiserver
 * restarted by watch-gone could not listen again, and every later test failed).
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = listenedPortsFloor + Math.floor(Math.random() * (low - listenedPortsFloor));
    if (!(await isPortBound(port))) return port;
  }
  throw new Error(
    `No free loopback port between ${String(listenedPortsFloor)} and ${String(low - 1)} after 100 tries.`,
  );
}

/** Above the well-known and common service ports (PostgreSQL, Redis, RabbitMQ, the metrics port). */
const listenedPortsFloor = 16_000;

/** The kernel's ephemeral port range; Linux's default when it cannot be read. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && low > listenedPortsFloor + 1000)
      return [low, high];
  } catch {
    // Not Linux: the default below is as good a guess as any.
  }
  return [32_768, 60_999];
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isPortBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(true);
    });
    server.listen(port, "127.0.0.1", () => {
      server.close(() => {
        resolve(false);
      });
    });
  });
}
