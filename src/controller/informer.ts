import { delay, stopped } from "./abort.ts";
import type { Logger } from "pino";
import {
  isGone,
  KubeApiError,
  type KubeClient,
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
 * - cached objects are stripped of managedFields (and whatever `transform` drops).
 */
export interface InformerOptions<T extends KubeObject> {
  readonly name: string;
  readonly paths: readonly string[];
  readonly labelSelector?: string;
  /** Server-side watch timeout; the stream is re-opened from the last resourceVersion after it. */
  readonly watchTimeoutSeconds?: number;
  /** Grace after the server-side timeout; a stream still open then is considered stalled. */
  readonly watchdogMs?: number;
  readonly transform?: (object: T) => T;
  readonly log: Logger;
  readonly onRestart?: (reason: "error" | "gone" | "stalled") => void;
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

function stripManagedFields<T extends KubeObject>(object: T): T {
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

export class Informer<T extends KubeObject> {
  readonly #client: KubeClient;
  readonly #options: InformerOptions<T>;
  readonly #store = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  readonly #synced: Promise<void>[] = [];
  #syncedCount = 0;

  constructor(client: KubeClient, options: InformerOptions<T>) {
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
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.#relist(path, keysOfPath);
          if (firstSync) onFirstSync();
          firstSync = false;
        }
        const outcome = await this.#watch(path, resourceVersion, keysOfPath, signal);
        resourceVersion = outcome.resourceVersion;
        failures = 0;
        if (outcome.stalled) {
          this.#options.log.warn(
            { informer: this.#options.name, path },
            "Watch stalled; relisting",
          );
          this.#options.onRestart?.("stalled");
          this.#client.resetConnections();
          resourceVersion = undefined;
        }
      } catch (error) {
        if (stopped(signal)) return;
        if (isGone(error)) {
          this.#options.onRestart?.("gone");
          resourceVersion = undefined;
          continue;
        }
        failures++;
        this.#options.onRestart?.("error");
        const backoff = Math.min(250 * 2 ** (failures - 1), 30_000);
        this.#options.log.warn(
          { informer: this.#options.name, path, err: (error as Error).message, retryInMs: backoff },
          "Watch failed; retrying",
        );
        await delay(backoff, signal);
      }
    }
  }

  async #relist(path: string, keysOfPath: Set<string>): Promise<string> {
    const list = await this.#client.list<T>(path, selector(this.#options.labelSelector));
    const seen = new Set<string>();
    for (const item of list.items) {
      const object = this.#prepare(item);
      const key = objectKey(object);
      seen.add(key);
      this.#upsert(key, object);
    }
    // Objects deleted while nobody watched: the relist is the only chance to notice.
    for (const key of keysOfPath) {
      if (seen.has(key)) continue;
      const old = this.#store.get(key);
      this.#store.delete(key);
      if (old !== undefined) this.#emit("delete", old);
    }
    keysOfPath.clear();
    for (const key of seen) keysOfPath.add(key);
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
    const stripped = stripManagedFields(object);
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
