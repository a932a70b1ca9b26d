// The service section as the operator mounts it: one file per option, file name = option name,
// content = value. Kubernetes swaps a ConfigMap volume atomically through a `..data` symlink, and a
// projected Secret (the `password`) lands in the same directory, so names starting with `.` are
// bookkeeping, and a change shows up as a rename in the directory, not as a write to a file.
import { watch, type FSWatcher } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

export type RawOptions = Readonly<Record<string, string>>;

const MAX_OPTION_BYTES = 1024 * 1024;

export async function readConfigDir(dir: string): Promise<RawOptions> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith(".")).sort();
  // Null prototype: an option file named like an Object member (`constructor`) is just an option.
  const options = Object.create(null) as Record<string, string>;
  for (const name of names) {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > MAX_OPTION_BYTES) continue;
      options[name] = (await readFile(path, "utf8")).replace(/\r?\n$/, "");
    } catch (error) {
      // A file removed between readdir and read is a swap in progress; the next read sees it settled.
      if (isMissing(error)) continue;
      throw error;
    }
  }
  return options;
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

/**
 * Runs `task` once a burst of calls has settled: a ConfigMap swap fires several fs.watch events
 * in a burst, and one read after it is enough. The timer never keeps the process alive.
 */
export class Debounced {
  readonly #task: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(task: () => void) {
    this.#task = task;
  }

  schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#task, 50);
    this.#timer.unref();
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }
}

export interface ConfigDirWatcherOptions {
  dir: string;
  /** The slow poll that catches what fs.watch misses (network filesystems, some overlay setups). */
  pollIntervalMs?: number;
  onChange: (options: RawOptions) => void;
  onError: (error: unknown) => void;
}

/** Re-reads the directory on every fs.watch event and on a slow poll; reports only real changes. */
export class ConfigDirWatcher {
  readonly #opts: ConfigDirWatcherOptions;
  #current: string;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #debounced = new Debounced(() => {
    void this.check();
  });
  #reading: Promise<void> = Promise.resolve();

  constructor(initial: RawOptions, opts: ConfigDirWatcherOptions) {
    this.#opts = opts;
    this.#current = JSON.stringify(initial);
  }

  start(): void {
    try {
      this.#watcher = watch(this.#opts.dir, () => {
        this.#debounced.schedule();
      });
      this.#watcher.on("error", (error) => {
        this.#opts.onError(error);
      });
    } catch (error) {
      this.#opts.onError(error);
    }
    this.#timer = setInterval(() => {
      this.#debounced.schedule();
    }, this.#opts.pollIntervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** Reads now; resolves when the read (and any change notification) is done. */
  check(): Promise<void> {
    this.#reading = this.#reading.then(async () => {
      try {
        const next = await readConfigDir(this.#opts.dir);
        const serialized = JSON.stringify(next);
        if (serialized === this.#current) return;
        this.#current = serialized;
        this.#opts.onChange(next);
      } catch (error) {
        this.#opts.onError(error);
      }
    });
    return this.#reading;
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#timer);
    this.#debounced.cancel();
  }
}
