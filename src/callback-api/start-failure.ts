// Why the Callback API (or its migrate command) cannot start, as one line naming the cause and the
// fix. Kubernetes shows the last line of a crashed container (`kubectl describe pod`, the
// Deployment's events); a stack trace there hides the reason, a line such as "--port 8080 on
// 0.0.0.0 is already in use" gives it. The commands print the line with `exitNow`.
import {
  clusterAccess,
  KubeconfigUnreadable,
  type ClusterAccess,
} from "../runtime/cluster-access.ts";
import { SchemaTooNewError } from "./migrations.ts";

/** A failure to start: `message` is the whole line after the command's prefix. */
export class StartFailure extends Error {
  override readonly name = "StartFailure";
  /** 2 for a bad flag or option (fix the invocation), 1 for what the environment refused. */
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String(error.code)
    : undefined;
}

/** The first line of an error's message, for the fallbacks that know no better fix. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0] ?? "";
}

/** The first line of an error's message and its errno or SQLSTATE: what a fallback can say. */
export function errorLine(error: unknown): string {
  const code = codeOf(error);
  return code === undefined ? firstLine(error) : `${firstLine(error)} (${code})`;
}

/** Any error as a StartFailure: unexpected ones keep their first line and code, never a stack. */
export function asStartFailure(error: unknown): StartFailure {
  return error instanceof StartFailure ? error : new StartFailure(errorLine(error));
}

/**
 * Prints the line and ends the process at once. Whatever was opened before the failure (the config
 * watcher, a connection pool, the metrics server) would otherwise keep it running: a server that
 * could not start but never exits is never restarted by the kubelet.
 */
export function exitNow(line: string, exitCode: number): never {
  // Writes to a pipe or file are synchronous on Linux, so the line is out before the exit.
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}

/** A listening socket (`--port` or `--metrics-port`) that could not be bound. */
export function listenFailure(
  flag: string,
  host: string,
  port: number,
  error: unknown,
): StartFailure {
  const where = `${flag} ${port} on ${host}`;
  switch (codeOf(error)) {
    case "EADDRINUSE":
      return new StartFailure(
        `${where} is already in use (EADDRINUSE): stop the process holding it or choose another ${flag}`,
      );
    case "EACCES":
      return new StartFailure(
        `${where} is not permitted (EACCES): use a port above 1023, or grant the container NET_BIND_SERVICE`,
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartFailure(
        `--host ${host} is not an address of this machine (${codeOf(error) ?? ""}): use 0.0.0.0 or one of its addresses`,
      );
    default:
      return new StartFailure(
        `${where} cannot be listened on: ${errorLine(error)}: choose another ${flag} or --host`,
      );
  }
}

/** Where a PostgreSQL URL points, without its password: `user@host:port/database`. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username === "" ? "" : `${decodeURIComponent(parsed.username)}@`;
    const port = parsed.port === "" ? "5432" : parsed.port;
    return `${user}${parsed.hostname}:${port}${parsed.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** The first connection to PostgreSQL failed; `flag` is the flag that gave the URL. */
export function connectFailure(flag: string, url: string, error: unknown): StartFailure {
  const where = describeDatabaseUrl(url);
  const code = codeOf(error) ?? "";
  if (code === "ECONNREFUSED") {
    return new StartFailure(
      `${flag}: nothing accepts connections at ${where} (ECONNREFUSED): start PostgreSQL or fix the host and port of the URL`,
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new StartFailure(
      `${flag}: the host of ${where} cannot be resolved (${code}): fix the host of the URL`,
    );
  }
  if (code === "POOL_TIMEOUT" || code === "ETIMEDOUT" || code === "EHOSTUNREACH") {
    return new StartFailure(
      `${flag}: ${where} did not answer (${code}): check the host, the port and any network policy between this pod and PostgreSQL`,
    );
  }
  if (code === "28P01" || code === "28000") {
    return new StartFailure(
      `${flag}: PostgreSQL refused the credentials of ${where} (${code}: ${firstLine(error)}): fix the user and password of the URL, or the server's pg_hba.conf`,
    );
  }
  if (code === "3D000") {
    return new StartFailure(
      `${flag}: the database of ${where} does not exist (3D000): create it, or fix the database name of the URL`,
    );
  }
  if (code === "53300") {
    return new StartFailure(
      `${flag}: PostgreSQL at ${where} has no free connection (53300): raise its max_connections or lower --database-pool-size`,
    );
  }
  return new StartFailure(
    `${flag}: cannot connect to ${where}: ${errorLine(error)}: check the URL and the server's log`,
  );
}

/** The embedded PGlite data directory could not be created or opened. */
export function dataDirFailure(flag: string, dir: string, error: unknown): StartFailure {
  const code = codeOf(error);
  if (code === "EEXIST" || code === "ENOTDIR") {
    return new StartFailure(
      `${flag} ${dir} is not a directory (${code}): point ${flag} at a directory (an empty one starts a new store)`,
    );
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new StartFailure(
      `${flag} ${dir} cannot be written (${code}): mount a writable volume there (owned by the server's user) or fix the path`,
    );
  }
  return new StartFailure(
    `${flag} ${dir} does not open as a PGlite store: ${errorLine(error)}: restore the directory from a backup, or point ${flag} at an empty directory`,
  );
}

/** The schema migrations failed; `store` names the store as the user gave it (flag and value). */
export function schemaFailure(store: string, error: unknown): StartFailure {
  if (error instanceof SchemaTooNewError) {
    return new StartFailure(
      `${store} holds schema version ${error.found}, newer than this program's ${error.known}: run the callback-operator version that wrote it (or a newer one), never an older one on this store`,
    );
  }
  const code = codeOf(error);
  if (code === "25006") {
    return new StartFailure(
      `${store} is read-only (25006: ${firstLine(error)}): point it at the writable primary, not a standby or a read-only database`,
    );
  }
  if (code === "42501") {
    return new StartFailure(
      `${store}: the user may not create the tables (42501: ${firstLine(error)}): grant it CREATE on the schema (or make it the database owner)`,
    );
  }
  return new StartFailure(
    `${store}: the schema migration failed: ${errorLine(error)}: see the database's log; the store was left as it was (one transaction)`,
  );
}

/** A file the server reads at start (the admin password) is missing or unreadable. */
export function fileFailure(flag: string, path: string, error: unknown): StartFailure {
  const code = codeOf(error);
  if (code === "ENOENT") {
    return new StartFailure(
      `${flag} ${path} does not exist: mount the Secret holding it there, or fix the path`,
    );
  }
  return new StartFailure(
    `${flag} ${path} cannot be read: ${errorLine(error)}: make it a file readable by the server's user`,
  );
}

/** The cluster of `--kubeconfig` (or the default one); an unreadable kubeconfig is a bad flag. */
export function accessOrFailure(kubeconfig: string | undefined): ClusterAccess | undefined {
  try {
    return clusterAccess(kubeconfig, { env: process.env });
  } catch (error) {
    if (error instanceof KubeconfigUnreadable) throw new StartFailure(error.message, 2);
    throw error;
  }
}
