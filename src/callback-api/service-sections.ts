// The sections of the office-hours and capacity services a callback service names, as the operator
// mounts them: `<services-dir>/<name>/` (--services-dir, `<config-dir>/services` by default), one
// file per option, laid out like the main config directory (a ConfigMap volume with its `..data`
// swap). The operator mounts each as an optional ConfigMap volume of its own, and the kubelet
// mounts an optional ConfigMap that does not exist as an empty directory: an empty directory is
// missing, like an absent one. Read at start and whenever the options
// name other services; watched like the main directory (fs.watch plus a slow poll), so a change to
// an office-hours service applies without a restart. A directory that is missing is reported as
// missing, never as an empty (always-closed or always-open) service.
import { watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { Debounced, readConfigDir, type RawOptions } from "./config-dir.ts";
import { isServiceDirName, type SectionLookup } from "./linked-services.ts";
import type { ServiceOptions } from "./options.ts";

/** The services a callback service's options name, each once. */
export function linkedNames(options: ServiceOptions): string[] {
  const names = [options._business_hours_service, options._capacity_service]
    .map((name) => name?.trim() ?? "")
    .filter((name) => name !== "");
  return [...new Set(names)];
}

export interface ServiceSectionsOptions {
  /** The directory holding one directory per linked service (--services-dir). */
  readonly servicesDir: string;
  readonly pollIntervalMs?: number;
  /** A followed section appeared, changed or went away (not reported for `follow`'s own read). */
  readonly onChange: () => void;
  readonly onError: (name: string, error: unknown) => void;
}

function isAbsent(error: unknown): boolean {
  return (
    error instanceof Error &&
    "code" in error &&
    (error.code === "ENOENT" || error.code === "ENOTDIR")
  );
}

export class ServiceSections {
  readonly #opts: ServiceSectionsOptions;
  #names: readonly string[] = [];
  #sections: ReadonlyMap<string, RawOptions> = new Map();
  #snapshot = "[]";
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #debounced = new Debounced(() => {
    void this.check();
  });
  #reading: Promise<void> = Promise.resolve();

  constructor(opts: ServiceSectionsOptions) {
    this.#opts = opts;
  }

  /** The section of a followed service, or undefined when its directory is missing. */
  readonly lookup: SectionLookup = (name) => this.#sections.get(name);

  /** Follows these services from now on; resolves once they are read. */
  follow(names: readonly string[]): Promise<void> {
    this.#names = names.filter(isServiceDirName);
    return this.#read(false);
  }

  start(): void {
    this.#watch();
    this.#timer = setInterval(() => {
      this.#watch();
      this.#debounced.schedule();
    }, this.#opts.pollIntervalMs ?? 10_000);
    this.#timer.unref();
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#timer);
    this.#debounced.cancel();
  }

  /** Reads the followed sections now; resolves when done (and any change is reported). */
  check(): Promise<void> {
    return this.#read(true);
  }

  #read(notify: boolean): Promise<void> {
    this.#reading = this.#reading.then(async () => {
      const next = new Map<string, RawOptions>();
      for (const name of this.#names) {
        try {
          const section = await readConfigDir(join(this.#opts.servicesDir, name));
          // An optional ConfigMap volume whose ConfigMap does not exist is an empty directory.
          if (Object.keys(section).length === 0) continue;
          next.set(name, section);
        } catch (error) {
          if (isAbsent(error)) continue;
          // Unreadable for another reason: the last reading stays in force.
          this.#opts.onError(name, error);
          const previous = this.#sections.get(name);
          if (previous !== undefined) next.set(name, previous);
        }
      }
      const snapshot = JSON.stringify([...next]);
      if (snapshot === this.#snapshot) return;
      this.#snapshot = snapshot;
      this.#sections = next;
      if (notify) this.#opts.onChange();
    });
    return this.#reading;
  }

  /** Watches the services directory (recursively: the swaps happen one level down) once it exists. */
  #watch(): void {
    if (this.#watcher !== undefined) return;
    try {
      this.#watcher = watch(this.#opts.servicesDir, { recursive: true }, () => {
        this.#debounced.schedule();
      });
      this.#watcher.on("error", () => {
        // Removed or unmounted: the poll re-reads, and watches again once it is back.
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#debounced.schedule();
      });
    } catch {
      // Not there yet: the poll catches it.
    }
  }
}
