// A loopback TCP proxy that can go silent: after freeze(), connections already open stay open but
// forward nothing (a half-open connection, an idle-killing load balancer), while new connections
// work. A watch through it stalls without any error — only a watchdog notices.
import { createServer, connect, type Server, type Socket } from "node:net";

export interface FreezingProxy {
  readonly port: number;
  /** Stops forwarding on every connection open now. */
  freeze(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFreezingProxy(targetPort: number): Promise<FreezingProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, "127.0.0.1");
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on("data", (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    const end = (): void => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    // A frozen connection does not even pass on the server's close: the client never learns.
    const upstreamEnd = (): void => {
      if (pair.frozen) upstream.destroy();
      else end();
    };
    upstream.on("close", upstreamEnd).on("error", upstreamEnd);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    freeze() {
      for (const pair of open) pair.frozen = true;
    },
    async close() {
      for (const pair of open) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The proxy in a process of its own: a test that runs kubectl synchronously blocks its own event
 * loop, and an in-process proxy would stall with it. SIGUSR1 freezes it; it prints each new
 * connection's count on stdout.
 */
export async function spawnFreezingProxy(targetPort: number): Promise<{
  readonly port: number;
  connections(): number;
  freeze(): void;
  close(): Promise<void>;
}> {
  const { spawn } = await import("node:child_process");
  const { createInterface } = await import("node:readline");
  const child = spawn(process.execPath, [import.meta.filename, String(targetPort)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let count = 0;
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on("line", (line) => {
      const [word, value] = line.split(" ");
      if (word === "port") resolve(Number(value));
      if (word === "connections") count = Number(value);
    });
    child.once("exit", () => {
      reject(new Error("the proxy process exited"));
    });
  });
  return {
    port,
    connections: () => count,
    freeze: () => child.kill("SIGUSR1"),
    close: async () => {
      const exit = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exit;
    },
  };
}

if (process.argv[1] === import.meta.filename) {
  const proxy = await startFreezingProxy(Number(process.argv[2]));
  process.stdout.write(`port ${String(proxy.port)}\n`);
  setInterval(() => {
    process.stdout.write(`connections ${String(proxy.connections)}\n`);
  }, 200);
  process.on("SIGUSR1", () => {
    proxy.freeze();
  });
  process.on("SIGTERM", () => {
    void proxy.close().then(() => process.exit(0));
  });
}
