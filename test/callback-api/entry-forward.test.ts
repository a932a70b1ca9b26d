// How the entry point's forwarder reports upstreams that fail (docs/adr/0106): each failure names
// the upstream and what went wrong, so the 503 the client gets says which service to look at.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Forwarder, type Outgoing } from "../../src/callback-api/entry/forward.ts";

const servers: Server[] = [];
let silent: string;
let chatty: string;
let closed: string;

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  silent = await listen(() => {
    // Never answers.
  });
  chatty = await listen((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(["x".repeat(4096)]));
  });
  closed = await listen(() => undefined);
  const last = servers.pop();
  await new Promise((resolve) => last?.close(resolve));
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const get: Outgoing = {
  method: "GET",
  path: "/genesys/1/service/callback?_id=x",
  authorization: undefined,
  contentType: undefined,
  host: undefined,
  body: undefined,
};

it("names an upstream that is slow, too talkative or gone, and answers the others", async () => {
  const forwarder = new Forwarder({ timeoutMs: 300, parallel: 2, maxAnswerBytes: 1024 });
  const started = Date.now();
  const answers = await forwarder.all(
    [
      { name: "slow", url: silent },
      { name: "big", url: chatty },
      { name: "gone", url: closed },
    ],
    get,
  );
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(answers).toEqual([
    {
      kind: "failed",
      upstream: { name: "slow", url: silent },
      problem: "did not answer in 300 ms",
    },
    {
      kind: "failed",
      upstream: { name: "big", url: chatty },
      problem: "answered more than 1024 bytes",
    },
    {
      kind: "failed",
      upstream: { name: "gone", url: closed },
      problem: "cannot be reached (ECONNREFUSED)",
    },
  ]);
  const roomy = new Forwarder({ timeoutMs: 1_000, parallel: 1, maxAnswerBytes: 65_536 });
  const [answer] = await roomy.all([{ name: "big", url: chatty }], get);
  expect(answer).toMatchObject({ kind: "answered", status: 200 });
  await forwarder.close();
  await roomy.close();
});
