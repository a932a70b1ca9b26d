// The real server as a child process, as `npx callback-operator callback-api` runs it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url));
export const CLI = fileURLToPath(new URL("../../../src/cli/main.ts", import.meta.url));

export async function writeConfigDir(options: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cbapi-config-"));
  for (const [name, value] of Object.entries(options))
    await writeFile(join(dir, name), `${value}\n`);
  return dir;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** `http://127.0.0.1:<metrics port>`: /metrics is served there, not on the API port. */
  readonly metricsBase: string;
  output(): string;
}

export interface StartOptions {
  /** Node flags before the script, e.g. `--cpu-prof` for a profile written at exit. */
  readonly nodeArgs?: readonly string[];
  /** Environment variables on top of this process's own. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts the server on 127.0.0.1 with an ephemeral port and resolves once it listens. */
export async function startServer(
  args: string[],
  timeoutMs = 60_000,
  options: StartOptions = {},
): Promise<ServerProcess> {
  const child = spawn(
    NODE,
    [
      ...(options.nodeArgs ?? []),
      CLI,
      "callback-api",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      // Never the default metrics port: several servers run at once.
      "--metrics-port",
      "0",
      "--log-level",
      process.env["CBAPI_TEST_LOG_LEVEL"] ?? "info",
      ...args,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    },
  );
  let output = "";
  let listening = false;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      // Scanning only until it listens: a busy server logs megabytes, rescanning them is quadratic.
      if (listening) return;
      const match = /"port":(\d+),"msg":"Callback API listening"/.exec(output);
      const metrics = /"metricsPort":(\d+),"msg":"Metrics listening"/.exec(output);
      if (match?.[1] !== undefined && metrics?.[1] !== undefined) {
        clearTimeout(timer);
        listening = true;
        const port = Number(match[1]);
        resolvePromise({
          child,
          port,
          base: `http://127.0.0.1:${port}`,
          metricsBase: `http://127.0.0.1:${metrics[1]}`,
          output: () => output,
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Server exited with ${String(code)} before listening:\n${output}`));
    });
  });
}

export async function stopServer(
  server: { readonly child: ChildProcess },
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  await new Promise<void>((resolvePromise) => {
    server.child.once("exit", () => {
      resolvePromise();
    });
    server.child.kill(signal);
  });
}

export interface EntryProcess {
  readonly child: ChildProcess;
  readonly base: string;
  output(): string;
}

/** `callback-api entry` on 127.0.0.1 with an ephemeral port; resolves once it listens. */
export async function startEntry(args: string[], timeoutMs = 30_000): Promise<EntryProcess> {
  const child = spawn(
    NODE,
    [
      CLI,
      "callback-api",
      "entry",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--log-level",
      process.env["CBAPI_TEST_LOG_LEVEL"] ?? "info",
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Entry point did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /"port":(\d+),"msg":"Entry point listening"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stderr.off("data", onData);
        child.stdout.on("data", (more: Buffer) => (output += more.toString("utf8")));
        child.stderr.on("data", (more: Buffer) => (output += more.toString("utf8")));
        resolvePromise({ child, base: `http://127.0.0.1:${match[1]}`, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Entry point exited with ${String(code)} before listening:\n${output}`));
    });
  });
}
