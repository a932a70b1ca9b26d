import type { Logger } from "pino";
import { delay, stopped } from "./abort.ts";
import { backoff, type BackoffPolicy } from "./backoff.ts";
import {
  isGone,
  KubeApiError,
  type KubeApi,
  type KubeObject,
  type WatchEvent,
} from "./kube-client.ts";

/**
 * A list-then-watch cache of one kind, fed from one or more paths (one per watched namespace, or
 * one cluster-wide). It fixes what client-node's informer gets wrong for a controller:
 * - watches resume from the last resourceVersion, with bookmarks so quiet kinds stay current;
 *   only 410 Gone (or a first start) costs a relist;
 * - every error restarts the watch with capped backoff instead of stopping the informer;
 * - the server ends every watch after its timeout, so a stream still open `watchdogMs` past it
 *   went silent (half-open TCP, an idle-killing proxy): the watchdog aborts it and relists;
 * - handlers are synchronous and may only enqueue, so one cannot break the stream;
 * - cached objects are stripped of managedFields and of the copy of the object that client-side
 *   `kubectl apply` keeps in an annotation (and whatever `transform` drops).
 */
export interface InformerOptions<T extends KubeObject> {
  readonly name: string;
  readonly paths: readonly string[];
  readonly labelSelector?: string;
  /** Accept headers of the list and the watch (metadataOnly); plain JSON when unset. */
  readonly accept?: { readonly list: string; readonly watch: string };
  /** Server-side watch timeout; the stream is re-opened from the last resourceVersion after it. */
  readonly watchTimeoutSeconds?: number;
  /** Grace after the server-side timeout; a stream still open then is considered stalled. */
  readonly watchdogMs?: number;
  readonly transform?: (object: T) => T;
  readonly log: Logger;
  readonly onRestart?: (reason: "error" | "gone" | "stalled") => void;
  /** After every list (the first one too): how many cached objects it found deleted meanwhile. */
  readonly onRelist?: (deleted: number) => void;
}

/** What reconcilers read of an informer: its cache, typed by the object it holds. */
export interface Cache<T> {
  get(key: string): T | undefined;
  list(): Iterable<T>;
}

export interface InformerHandlers<T> {
  add?(object: T): void;
  update?(object: T, old: T): void;
  delete?(object: T): void;
}

export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace === undefined ? name : `${namespace}/${name}`;
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration";

/** What no reader of a cache needs: the field managers' sets and client-side apply's copy. */
function stripBookkeeping<T extends KubeObject>(object: T): T {
  const { managedFields: _, ...metadata } = object.metadata;
  if (metadata.annotations?.[lastApplied] !== undefined) {
    const { [lastApplied]: __, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return { ...object, metadata };
}

/** How one watch ended: the server closed it (its timeout), the watchdog cut it, or it failed. */
export type WatchEnding =
  | { readonly kind: "closed" }
  | { readonly kind: "stalled" }
  | { readonly kind: "failed"; readonly error: unknown };

/** What a path's loop does next, decided from how the last watch ended. */
export interface NextWatch {
  /** Forget the resourceVersion and list again; otherwise resume the watch from it. */
  readonly relist: boolean;
  /** How long to wait before that. */
  readonly waitMs: number;
  /** Failures in a row so far, for the next backoff. */
  readonly failures: number;
  /** Why the stream restarted, for callback_operator_watch_restarts_total; none after a close. */
  readonly restart?: "error" | "gone" | "stalled";
}

/** Retries of a failing watch or list: 250 ms doubling to 30 s, spread so informers part ways. */
export const watchRetry: BackoffPolicy = { base: 250, max: 30_000, jitter: 0.5 };

/**
 * The informer's one decision. A closed stream resumes from the last resourceVersion at once; a
 * stalled one (the watchdog) relists, since events may have been lost on the dead connection; 410
 * Gone relists at once (the resourceVersion is too old); any other error retries with backoff
 * from where the loop was (before the first list: the list).
 */
export function afterWatch(
  ending: WatchEnding,
  failures: number,
  random: () => number = Math.random,
): NextWatch {
  if (ending.kind === "closed") return { relist: false, waitMs: 0, failures: 0 };
  if (ending.kind === "stalled") {
    return { relist: true, waitMs: 0, failures: 0, restart: "stalled" };
  }
  if (isGone(ending.error)) return { relist: true, waitMs: 0, failures, restart: "gone" };
  return {
    relist: false,
    waitMs: backoff(failures, watchRetry, random),
    failures: failures + 1,
    restart: "error",
  };
}

export class Informer<T extends KubeObject> implements Cache<T> {
  readonly #client: KubeApi;
  readonly #options: InformerOptions<T>;
  readonly #store = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #synced: Promise<void>[] = [];
  #syncedCount = 0;

  constructor(client: KubeApi, options: InformerOptions<T>) {
    this.#client = client;
    this.#options = options;
  }

  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): IterableIterator<T> {
    return this.#store.values();
  }

  get size(): number {
    return this.#store.size;
  }

  get hasSynced(): boolean {
    return this.#syncedCount === this.#options.paths.length;
  }

  /** Starts every path's loop; resolves once each has listed once. Loops end with the signal. */
  async start(signal: AbortSignal): Promise<void> {
    for (const path of this.#options.paths) {
      this.#synced.push(
        new Promise<void>((resolve) => {
          void this.#run(path, signal, () => {
            this.#syncedCount++;
            resolve();
          });
        }),
      );
    }
    // A list that keeps failing (e.g. forbidden) never syncs: stopping must not wait for it.
    await Promise.race([Promise.all(this.#synced), delay(2 ** 31 - 1, signal)]);
  }

  async #run(path: string, signal: AbortSignal, onFirstSync: () => void): Promise<void> {
    const keysOfPath = new Set<string>();
    let resourceVersion: string | undefined;
    let firstSync = true;
    let failures = 0;
    while (!signal.aborted) {
      let ending: WatchEnding;
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.#relist(path, keysOfPath);
          if (firstSync) onFirstSync();
          firstSync = false;
        }
        const outcome = await this.#watch(path, resourceVersion, keysOfPath, signal);
        resourceVersion = outcome.resourceVersion;
        ending = { kind: outcome.stalled ? "stalled" : "closed" };
      } catch (error) {
        if (stopped(signal)) return;
        ending = { kind: "failed", error };
      }
      const next = afterWatch(ending, failures);
      failures = next.failures;
      if (next.relist) resourceVersion = undefined;
      if (next.restart !== undefined) this.#options.onRestart?.(next.restart);
      if (ending.kind === "stalled") {
        this.#options.log.warn({ informer: this.#options.name, path }, "Watch stalled; relisting");
        this.#client.resetConnections();
      } else if (ending.kind === "failed" && next.restart === "error") {
        this.#options.log.warn(
          {
            informer: this.#options.name,
            path,
            err: (ending.error as Error).message,
            retryInMs: next.waitMs,
          },
          "Watch failed; retrying",
        );
      }
      if (next.waitMs > 0) await delay(next.waitMs, signal);
    }
  }

  async #relist(path: string, keysOfPath: Set<string>): Promise<string> {
    const list = await this.#client.list<T>(
      path,
      selector(this.#options.labelSelector),
      this.#options.accept?.list,
    );
    const seen = new Set<string>();
    for (const item of list.items) {
      const object = this.#prepare(item);
      const key = objectKey(object);
      seen.add(key);
      this.#upsert(key, object);
    }
    // Objects deleted while nobody watched: the relist is the only chance to notice.
    let deleted = 0;
    for (const key of keysOfPath) {
      if (seen.has(key)) continue;
      const old = this.#store.get(key);
      this.#store.delete(key);
      if (old === undefined) continue;
      deleted++;
      this.#emit("delete", old);
    }
    keysOfPath.clear();
    for (const key of seen) keysOfPath.add(key);
    this.#options.onRelist?.(deleted);
    return list.metadata.resourceVersion;
  }

  async #watch(
    path: string,
    resourceVersion: string,
    keysOfPath: Set<string>,
    signal: AbortSignal,
  ): Promise<{ resourceVersion: string; stalled: boolean }> {
    const controller = new AbortController();
    const abort = (): void => {
      controller.abort();
    };
    signal.addEventListener("abort", abort, { once: true });
    const timeout = this.#options.watchTimeoutSeconds ?? 300;
    // Not an inactivity timer: quiet kinds get a bookmark only about once a minute, while the
    // server-side timeout bounds every healthy stream.
    const state = { stalled: false };
    const timer = setTimeout(
      () => {
        state.stalled = true;
        controller.abort();
      },
      timeout * 1000 + (this.#options.watchdogMs ?? 30_000),
    );
    let latest = resourceVersion;
    try {
      await this.#client.watch<T>(
        path,
        {
          ...selector(this.#options.labelSelector),
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: timeout,
        },
        (event) => {
          latest = this.#handle(event, keysOfPath) ?? latest;
        },
        controller.signal,
        this.#options.accept?.watch,
      );
    } catch (error) {
      if (!state.stalled && !signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    }
    return { resourceVersion: latest, stalled: state.stalled };
  }

  /** Applies one event to the store; returns the resourceVersion to resume from. */
  #handle(event: WatchEvent<T>, keysOfPath: Set<string>): string | undefined {
    if (event.type === "ERROR") {
      const status = event.object as unknown as { code?: number; message?: string };
      if (status.code === 410) {
        throw new KubeApiError(410, "Expired", status.message ?? "resourceVersion too old");
      }
      throw new Error(`Watch error: ${status.message ?? JSON.stringify(status)}`);
    }
    const version = event.object.metadata.resourceVersion;
    if (event.type === "BOOKMARK") return version;
    const object = this.#prepare(event.object);
    const key = objectKey(object);
    if (event.type === "DELETED") {
      keysOfPath.delete(key);
      const old = this.#store.get(key) ?? object;
      this.#store.delete(key);
      this.#emit("delete", old);
    } else {
      keysOfPath.add(key);
      this.#upsert(key, object);
    }
    return version;
  }

  #upsert(key: string, object: T): void {
    const old = this.#store.get(key);
    this.#store.set(key, object);
    if (old === undefined) this.#emit("add", object);
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion)
      this.#emit("update", object, old);
  }

  #prepare(object: T): T {
    const stripped = stripBookkeeping(object);
    return this.#options.transform === undefined ? stripped : this.#options.transform(stripped);
  }

  #emit(type: "add" | "delete", object: T): void;
  #emit(type: "update", object: T, old: T): void;
  #emit(type: "add" | "update" | "delete", object: T, old?: T): void {
    for (const handlers of this.#handlers) {
      try {
        if (type === "add") handlers.add?.(object);
        else if (type === "delete") handlers.delete?.(object);
        else handlers.update?.(object, old ?? object);
      } catch (error) {
        this.#options.log.error(
          { informer: this.#options.name, err: error },
          "Event handler failed",
        );
      }
    }
  }
}

function selector(labelSelector: string | undefined): Record<string, string> {
  return labelSelector === undefined ? {} : { labelSelector };
}
