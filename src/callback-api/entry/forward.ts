// One request of a client sent on to Callback APIs: to one upstream, or to all of them at once
// with at most `parallel` in flight and a timeout each. An upstream that cannot be reached, times
// out or answers too much is a failure, reported by name; the caller decides what answers mean.
import { Agent, request } from "undici";
import type { Upstream } from "./upstreams.ts";

/** What the client sent that an upstream needs: method, path with query, and a few headers. */
export interface Outgoing {
  readonly method: "GET" | "POST" | "PUT";
  /** The path and query string exactly as the client sent them. */
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  /** The client's Host, so the record URLs (`_url`) an upstream builds point where the client went. */
  readonly host: string | undefined;
  readonly body: string | undefined;
}

export type Answer =
  | {
      readonly kind: "answered";
      readonly upstream: Upstream;
      readonly status: number;
      readonly contentType: string;
      readonly body: string;
    }
  | { readonly kind: "failed"; readonly upstream: Upstream; readonly problem: string };

export interface ForwardOptions {
  /** Time for one upstream's whole answer. */
  readonly timeoutMs: number;
  /** Upstreams asked at once by one client request. */
  readonly parallel: number;
  /** Largest upstream answer read; a longer one is a failure. */
  readonly maxAnswerBytes: number;
}

export class Forwarder {
  readonly #options: ForwardOptions;
  readonly #agent: Agent;

  constructor(options: ForwardOptions) {
    this.#options = options;
    this.#agent = new Agent({
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async one(upstream: Upstream, outgoing: Outgoing): Promise<Answer> {
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    try {
      const headers: Record<string, string> = {};
      if (outgoing.authorization !== undefined) headers["authorization"] = outgoing.authorization;
      if (outgoing.contentType !== undefined) headers["content-type"] = outgoing.contentType;
      if (outgoing.host !== undefined) headers["host"] = outgoing.host;
      const response = await request(`${upstream.url}${outgoing.path}`, {
        method: outgoing.method,
        headers,
        body: outgoing.body ?? null,
        dispatcher: this.#agent,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > this.#options.maxAnswerBytes) {
          response.body.destroy();
          return failed(upstream, `answered more than ${this.#options.maxAnswerBytes} bytes`);
        }
        chunks.push(buffer);
      }
      const body = Buffer.concat(chunks).toString("utf8");
      const type = response.headers["content-type"];
      return {
        kind: "answered",
        upstream,
        status: response.statusCode,
        contentType: typeof type === "string" ? type : "application/json; charset=utf-8",
        body,
      };
    } catch (error) {
      if (signal.aborted)
        return failed(upstream, `did not answer in ${this.#options.timeoutMs} ms`);
      const code = (error as { code?: unknown }).code;
      return failed(upstream, `cannot be reached (${typeof code === "string" ? code : "error"})`);
    }
  }

  /** Every upstream, answers in the upstreams' order. */
  async all(upstreams: readonly Upstream[], outgoing: Outgoing): Promise<Answer[]> {
    const answers: Answer[] = new Array<Answer>(upstreams.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < upstreams.length) {
        const index = next++;
        const upstream = upstreams[index];
        if (upstream !== undefined) answers[index] = await this.one(upstream, outgoing);
      }
    };
    const workers = Math.min(this.#options.parallel, upstreams.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return answers;
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function failed(upstream: Upstream, problem: string): Answer {
  return { kind: "failed", upstream, problem };
}
