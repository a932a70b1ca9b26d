// The real server as a child process, as `npx callback-operator callback-api` runs it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const NODE = resolve("node_modules/.bin/node");
export const CLI = resolve("src/cli/main.ts");

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
  output(): string;
}

/** Starts the server on 127.0.0.1 with an ephemeral port and resolves once it listens. */
export async function startServer(args: string[], timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(
    NODE,
    [
      CLI,
      "callback-api",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--log-level",
      process.env["CBAPI_TEST_LOG_LEVEL"] ?? "info",
      ...args,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const match = /"port":(\d+),"msg":"Callback API listening"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        const port = Number(match[1]);
        resolvePromise({ child, port, base: `http://127.0.0.1:${port}`, output: () => output });
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
  server: ServerProcess,
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
