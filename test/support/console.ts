// The console as `npx callback-operator console` runs it (a child process), Callback APIs it
// manages as real apps on loopback over one PGlite store (a shared database: every API answers the
// admin for every service), and a signed-in browser-like client with its own cookie jar.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pgliteDatabase } from "../../src/callback-api/database.ts";
import { migrate } from "../../src/callback-api/migrations.ts";
import { Store } from "../../src/callback-api/store.ts";
import { hashPassword } from "../../src/console/local-users.ts";
import { ADMIN, makeApp, PERMISSIVE, type TestApp } from "../callback-api/support/app.ts";
import { chromium, type Browser } from "playwright-core";
import {
  CLI,
  NODE,
  startServer,
  writeConfigDir,
  type ServerProcess,
} from "../callback-api/support/server-process.ts";

export interface ConsoleProcess {
  readonly child: ChildProcess;
  readonly base: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the console on 127.0.0.1 with a free port; resolves once it listens. */
export async function startConsole(args: readonly string[]): Promise<ConsoleProcess> {
  const child = spawn(NODE, [CLI, "console", "--host", "127.0.0.1", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => {
        resolve();
      });
      child.kill("SIGTERM");
    });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The console did not start in 30 s:\n${output}`));
    }, 30_000);
    let listening = false;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (listening) return;
      const match = /"port":(\d+),"msg":"Console listening"/.exec(output);
      if (match?.[1] === undefined) return;
      listening = true;
      clearTimeout(timer);
      resolve({ child, base: `http://127.0.0.1:${match[1]}`, output: () => output, stop });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`The console exited with ${String(code)}:\n${output}`));
    });
  });
}

/** A directory of local users as `console hash-password` writes them, and the admin password file. */
export async function consoleFiles(users: Readonly<Record<string, string>>): Promise<{
  usersDir: string;
  adminPasswordFile: string;
  sessionKeyFile: string;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), "console-test-"));
  const usersDir = path.join(dir, "users");
  const { mkdir } = await import("node:fs/promises");
  await mkdir(usersDir);
  for (const [name, password] of Object.entries(users))
    await writeFile(path.join(usersDir, name), `${await hashPassword(password)}\n`);
  const adminPasswordFile = path.join(dir, "admin-password");
  await writeFile(adminPasswordFile, `${ADMIN.password}\n`);
  const sessionKeyFile = path.join(dir, "session-key");
  await writeFile(sessionKeyFile, "k".repeat(48));
  return { usersDir, adminPasswordFile, sessionKeyFile };
}

export interface CallbackApis {
  /** Service name → its app (listening) and base URL. */
  readonly apps: ReadonlyMap<string, TestApp & { readonly url: string }>;
  close(): Promise<void>;
}

/** One Callback API app per service (name → `_service_groups`), all on one PGlite database. */
export async function startCallbackApis(
  services: Readonly<Record<string, string>>,
): Promise<CallbackApis> {
  const db = await pgliteDatabase(undefined);
  await migrate(db);
  const store = new Store(db);
  const apps = new Map<string, TestApp & { url: string }>();
  for (const [name, groups] of Object.entries(services)) {
    const app = await makeApp(
      store,
      { ...PERMISSIVE, _service_groups: groups },
      { serviceName: name },
    );
    const url = await app.app.listen({ host: "127.0.0.1", port: 0 });
    apps.set(name, { ...app, url });
  }
  return {
    apps,
    async close() {
      for (const app of apps.values()) await app.app.close();
      await db.close();
    },
  };
}

/**
 * A Callback API process for one service, in memory, with the admin credentials the console
 * calls it with.
 */
export async function startAdminCallbackApi(
  name: string,
  options: Readonly<Record<string, string>>,
  admin: { readonly username: string; readonly password: string } = ADMIN,
): Promise<ServerProcess> {
  const config = await writeConfigDir(options);
  const passwordFile = path.join(config, ".admin-password");
  await writeFile(passwordFile, admin.password);
  return startServer([
    "--service-name",
    name,
    "--config-dir",
    config,
    "--in-memory",
    "--admin-username",
    admin.username,
    "--admin-password-file",
    passwordFile,
  ]);
}

/** Debian's chromium (a README prerequisite), never a downloaded browser (ADR 0133). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium" });
}

/** A client of the console with its own cookies, as one browser of one person. */
export class ConsoleClient {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  csrfToken = "";

  constructor(base: string) {
    this.base = base;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    const response = await fetch(`${this.base}${pathname}`, {
      ...init,
      headers,
      redirect: "manual",
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === "" || /Max-Age=0/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** A POST with the session's CSRF token (or the given headers instead). */
  post(pathname: string, body: unknown, headers?: Record<string, string>): Promise<Response> {
    return this.fetch(pathname, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(headers ?? { "x-csrf-token": this.csrfToken }),
      },
      body: JSON.stringify(body),
    });
  }

  async signIn(username: string, password: string): Promise<Response> {
    const { token } = (await (await this.fetch("/auth/login-token")).json()) as { token: string };
    const response = await this.post(
      "/auth/login",
      { username, password },
      { "x-csrf-token": token },
    );
    if (response.status === 200) {
      const session = (await response.clone().json()) as { csrfToken: string };
      this.csrfToken = session.csrfToken;
    }
    return response;
  }

  // The caller names the shape it expects; nothing checks it at run time.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async json<T>(pathname: string): Promise<{ status: number; body: T }> {
    const response = await this.fetch(pathname);
    return { status: response.status, body: (await response.json()) as T };
  }
}
