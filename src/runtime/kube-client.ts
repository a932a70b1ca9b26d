import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createInterface } from "node:readline";
import type { ClusterAccess } from "./cluster-access.ts";
import { systemClock, type Clock } from "./clock.ts";

/**
 * A small Kubernetes REST client over a ClusterAccess (server, TLS, auth headers). client-node's
 * own client builds a new TLS agent for every request (no connection reuse) and drops unknown
 * fields through its typed models; controllers need plain JSON, one pooled connection set and a
 * count of every request. Over node:http(s) with a keep-alive agent, not undici: importing undici
 * costs a process about 28 MiB of RSS, node:https 9 (docs/adr/0125).
 */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly status: number;
  readonly reason: string;
  /** `details.causes` of the Status: a server-side apply conflict names each field here. */
  readonly causes: readonly StatusCause[];
  constructor(
    status: number,
    reason: string,
    message: string,
    causes: readonly StatusCause[] = [],
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

/** One cause of a failed request (metav1.StatusCause; `reason` is its type). */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

export const isNotFound = (error: unknown): boolean =>
  error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown): boolean =>
  error instanceof KubeApiError && error.status === 409;
export const isGone = (error: unknown): boolean =>
  error instanceof KubeApiError && error.status === 410;

export type RequestObserver = (method: string, code: number) => void;

export interface ClientOptions {
  /** Sent as User-Agent, so the apiserver's audit log tells replicas apart. */
  readonly userAgent?: string;
  /**
   * Asked before every write; false refuses it without sending (WriteFencedError). A leader whose
   * lease may have expired (a paused process, a partition) must not write on stale beliefs.
   */
  readonly mayWrite?: () => boolean;
  /** Times the header refresh and the connection reset (monotonic). */
  readonly clock?: Clock;
}

/** A write refused locally because this replica cannot be sure it still leads. */
export class WriteFencedError extends Error {
  override readonly name = "WriteFencedError";
  constructor(method: string, path: string) {
    super(`${method} ${path} not sent: this replica has not renewed its leader lease recently`);
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** `| undefined` on the optional fields: zod's parsed objects (the CRD types) spell them so. */
export interface ObjectMeta {
  name: string;
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  generation?: number | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string };
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * Accept headers of a metadata-only list and watch: the apiserver answers with
 * PartialObjectMetadataList / PartialObjectMetadata (metadata only, for every kind, CRDs too) and
 * the same resourceVersions, so one informer can follow them. Plain JSON after the comma, as
 * client-go's metadata client asks: a server that cannot convert sends whole objects instead.
 */
export const metadataOnly = {
  list: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
  watch: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
} as const;

export interface RequestOptions {
  readonly query?: Query;
  /** The Accept header; plain JSON unless a representation is asked for (metadataOnly). */
  readonly accept?: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/**
 * What reconcilers, informers, the elector and the event recorder need of the apiserver. Typed as
 * this interface, not the class, so that unit tests hand them a table-driven fake.
 */
export interface KubeApi {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T extends KubeObject>(path: string): Promise<T>;
  list<T extends KubeObject>(path: string, query?: Query, accept?: string): Promise<ObjectList<T>>;
  watch<T extends KubeObject>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
    accept?: string,
  ): Promise<void>;
  apply<T extends KubeObject>(
    path: string,
    object: unknown,
    fieldManager: string,
    force?: boolean,
  ): Promise<T>;
  delete(path: string, query?: Query): Promise<unknown>;
  create<T extends KubeObject>(path: string, object: unknown): Promise<T>;
  replace<T extends KubeObject>(path: string, object: unknown): Promise<T>;
  /** Drops pooled connections that may be dead (after a watch went silent). */
  resetConnections(): void;
}

const headerRefreshMs = 60_000;
/** Every request but a watch; a LIST of thousands of objects takes well under this. */
const requestTimeoutMs = 30_000;

export class KubeClient implements KubeApi {
  readonly server: string;
  readonly #access: ClusterAccess;
  readonly #observe: RequestObserver | undefined;
  readonly #options: ClientOptions;
  readonly #clock: Clock;
  #agent: HttpAgent | undefined;
  #headers: Readonly<Record<string, string>> = {};
  #headersAt = 0;
  #resetAt = -Infinity;

  constructor(access: ClusterAccess, observe?: RequestObserver, options: ClientOptions = {}) {
    this.server = access.server;
    this.#access = access;
    this.#observe = observe;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** TLS material once, auth headers refreshed each minute (projected tokens rotate). */
  async #prepare(): Promise<{
    agent: HttpAgent;
    headers: Readonly<Record<string, string>>;
  }> {
    if (this.#agent === undefined || this.#clock.monotonic() - this.#headersAt > headerRefreshMs) {
      const { tls, headers } = await this.#access.credentials();
      this.#headers = headers;
      this.#headersAt = this.#clock.monotonic();
      this.#agent ??= this.server.startsWith("https:")
        ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ...tls })
        : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    }
    return { agent: this.#agent, headers: this.#headers };
  }

  async #send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    if (method !== "GET" && this.#options.mayWrite?.() === false)
      throw new WriteFencedError(method, path);
    const { agent, headers } = await this.#prepare();
    const requestHeaders: Record<string, string> = {
      ...headers,
      accept: options.accept ?? "application/json",
    };
    if (this.#options.userAgent !== undefined)
      requestHeaders["user-agent"] = this.#options.userAgent;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) {
      requestHeaders["content-type"] = options.contentType ?? "application/json";
      requestHeaders["content-length"] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const request = send(
          url,
          {
            method,
            headers: requestHeaders,
            agent,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          },
          resolve,
        );
        request.once("error", reject);
        request.end(body);
      });
      this.#observe?.(method, response.statusCode ?? 0);
      return response;
    } catch (error) {
      this.#observe?.(method, 0);
      throw error;
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    // A request on a pooled connection that died silently would otherwise wait forever.
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const signal =
      options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    const response = await this.#send(method, path, { ...options, signal });
    const text = await readText(response);
    const status = response.statusCode ?? 0;
    if (!isOk(status)) throw toApiError(status, text, `${method} ${path}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  get<T extends KubeObject>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** Lists every page; the returned resourceVersion is where a watch continues. */
  async list<T extends KubeObject>(
    path: string,
    query: Query = {},
    accept?: string,
  ): Promise<ObjectList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      // A metadata-only list of nothing says `"items": null`.
      const page = await this.request<
        Omit<ObjectList<T>, "items"> & { items: T[] | null; apiVersion?: string; kind?: string }
      >("GET", path, {
        query: { ...query, limit: 500, continue: continueToken },
        ...(accept === undefined ? {} : { accept }),
      });
      // The items of a list of built-in kinds carry no apiVersion and kind; without them a cached
      // child never equals what the operator would apply, and every reconcile re-applies it.
      const kind = page.kind?.replace(/List$/, "");
      for (const item of page.items ?? []) {
        if (item.apiVersion === undefined && page.apiVersion !== undefined) {
          item.apiVersion = page.apiVersion;
        }
        if (item.kind === undefined && kind !== undefined) item.kind = kind;
        items.push(item);
      }
      resourceVersion = page.metadata.resourceVersion;
      continueToken = page.metadata.continue === "" ? undefined : page.metadata.continue;
    } while (continueToken !== undefined);
    return { items, metadata: { resourceVersion } };
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts, or the
   * connection fails (rejects). Events are handed over one line at a time, in order.
   */
  async watch<T extends KubeObject>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
    accept?: string,
  ): Promise<void> {
    const response = await this.#send("GET", path, {
      query: { ...query, watch: true },
      signal,
      ...(accept === undefined ? {} : { accept }),
    });
    const status = response.statusCode ?? 0;
    if (!isOk(status)) throw toApiError(status, await readText(response), `WATCH ${path}`);
    const lines = createInterface({ input: response, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === "") continue;
      onEvent(JSON.parse(line) as WatchEvent<T>);
    }
  }

  /** Server-side apply with one field manager; `force` takes over fields from other managers. */
  apply<T extends KubeObject>(
    path: string,
    object: unknown,
    fieldManager: string,
    force = true,
  ): Promise<T> {
    return this.request<T>("PATCH", path, {
      query: { fieldManager, force },
      body: object,
      contentType: "application/apply-patch+yaml",
    });
  }

  delete(path: string, query: Query = {}): Promise<unknown> {
    return this.request("DELETE", path, { query });
  }

  create<T extends KubeObject>(path: string, object: unknown): Promise<T> {
    return this.request<T>("POST", path, { body: object });
  }

  replace<T extends KubeObject>(path: string, object: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body: object });
  }

  /**
   * Drops every pooled connection. After a watch went silent the other pooled connections are
   * suspect too (the same dead path), and a request sent on one would wait for its timeout.
   * At most once per few seconds, since several informers notice the same stall together.
   */
  resetConnections(): void {
    const now = this.#clock.monotonic();
    if (now - this.#resetAt < 5_000) return;
    this.#resetAt = now;
    const old = this.#agent;
    this.#agent = undefined;
    old?.destroy();
  }

  /** Closes the pooled connections; called once nothing is in flight any more. */
  close(): Promise<void> {
    this.#agent?.destroy();
    return Promise.resolve();
  }
}

const isOk = (status: number): boolean => status >= 200 && status < 300;

async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding("utf8");
  let text = "";
  for await (const chunk of response) text += chunk as string;
  return text;
}

function toApiError(status: number, text: string, what: string): KubeApiError {
  try {
    const body = JSON.parse(text) as {
      reason?: string;
      message?: string;
      details?: { causes?: StatusCause[] };
    };
    return new KubeApiError(
      status,
      body.reason ?? "",
      body.message ?? `${what}: HTTP ${status}`,
      body.details?.causes ?? [],
    );
  } catch {
    return new KubeApiError(status, "", `${what}: HTTP ${status} ${text.slice(0, 200)}`);
  }
}
