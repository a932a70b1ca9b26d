// A TCP relay from the real node's bridge address to a server on the host's loopback (PostgreSQL
// on 127.0.0.1:5432): pods reach the host at the plane's own bridge address only, and the server
// need not listen anywhere but loopback.
import net from "node:net";

export interface Relay {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startRelay(
  host: string,
  target: { host: string; port: number },
): Promise<Relay> {
  const sockets = new Set<net.Socket>();
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
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
