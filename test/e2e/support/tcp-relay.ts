// A TCP relay from the real node's bridge address to a server on the host's loopback (PostgreSQL
// on 127.0.0.1:5432): pods reach the host at the plane's own bridge address only, and the server
// need not listen anywhere but loopback.
import net from "node:net";

export interface Relay {
  readonly host: string;
  readonly port: number;
  /** Holds every answer of the server this long (0: none), to keep requests in flight. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startRelay(
  host: string,
  target: { host: string; port: number },
): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay = { delayMs: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    // Equal delays keep the order of the chunks.
    upstream.on("data", (chunk: Buffer) => {
      if (relay.delayMs === 0) client.write(chunk);
      else setTimeout(() => client.write(chunk), relay.delayMs);
    });
    upstream.once("end", () => setTimeout(() => client.end(), relay.delayMs));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return Object.assign(relay, {
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  });
}
