import { createServer } from "node:net";

/** Asks the kernel for a free loopback port. Components bind it right after, so races are rare. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("The kernel returned no port."));
      });
    });
  });
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
