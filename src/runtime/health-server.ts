import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  /** Liveness: the process and its event loop answer. */
  readonly live: () => boolean;
  /** Readiness: caches have synced (a standby replica is ready too: it serves the same probes). */
  readonly ready: () => boolean;
  readonly registry: Registry;
}

/** /healthz, /readyz and /metrics on one port, as the kubebuilder scaffold serves them. */
export async function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/healthz" || path === "/readyz") {
      const ok = path === "/healthz" ? options.live() : options.ready();
      response.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      response.end(ok ? "ok\n" : "not ready\n");
      return;
    }
    if (path === "/metrics") {
      options.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { "content-type": options.registry.contentType });
          response.end(text);
        })
        .catch(() => {
          response.writeHead(500);
          response.end();
        });
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return server;
}
