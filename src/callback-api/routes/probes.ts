// Kubernetes probes, on the API's own port (metrics have a port of their own: metrics-server.ts).
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";

const PING_TIMEOUT_MS = 2_000;

export function registerProbeRoutes(app: FastifyInstance, context: AppContext): void {
  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new Error("database ping timed out"));
        }, PING_TIMEOUT_MS);
      });
      await Promise.race([context.store.ping(), timeout]);
      if (!context.ready()) return await reply.code(503).send({ status: "starting" });
      return { status: "ready" };
    } catch {
      return await reply.code(503).send({ status: "database unreachable" });
    } finally {
      clearTimeout(timer);
    }
  });
}
