// A local `_ors` receiver on 127.0.0.1 that records what it is sent: a webhook (JSON) or, playing
// Orchestration Server, a session start (form).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  /** The request's path and query, as the receiver saw them. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, string>;
  /** A form body as sent, repeated keys included. */
  readonly form?: URLSearchParams;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Status (and body) for the next requests; default 200. */
  readonly respond: (status: number, body?: string) => void;
  /** Changes how long each answer is held back, from the next request on. */
  readonly delay: (ms: number) => void;
  readonly close: () => Promise<void>;
}

/** `delayMs` holds each answer back, as a busy orchestration server would. */
export async function startReceiver(initialDelayMs = 0): Promise<Receiver> {
  let delayMs = initialDelayMs;
  const received: Received[] = [];
  let status = 200;
  let answer = "";
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      // An ORS session start is a form (ADR 0103); the webhook is JSON.
      const form = request.headers["content-type"] === "application/x-www-form-urlencoded";
      received.push({
        path: request.url ?? "",
        headers: request.headers,
        body: form
          ? Object.fromEntries(new URLSearchParams(text))
          : (JSON.parse(text) as Record<string, string>),
        ...(form ? { form: new URLSearchParams(text) } : {}),
      });
      setTimeout(() => {
        response.writeHead(status, { "content-type": "application/json" }).end(answer);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ors`,
    received,
    respond(next, body = "") {
      status = next;
      answer = body;
    },
    delay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
