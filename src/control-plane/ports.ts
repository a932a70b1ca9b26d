import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A free loopback port below the kernel's ephemeral range. Ports from the ephemeral range (what
 * `listen(0)` hands out) are also what every outgoing connection on the machine is bound to: when
 * a test restarts a component on its old port, the moment the old process is gone any connection
 * elsewhere may take that port and the restart fails with EADDRINUSE (seen in CI: the apiserver
 * restarted by watch-gone could not listen again, and every later test failed).
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = listenedPortsFloor + Math.floor(Math.random() * (low - listenedPortsFloor));
    if (reserve(port) && !(await isPortBound(port))) return port;
  }
  throw new Error(
    `No free loopback port between ${String(listenedPortsFloor)} and ${String(low - 1)} after 100 tries.`,
  );
}

/**
 * Ports handed out and not yet listened on, across every process of the machine: a plane starts
 * its components seconds after choosing their ports, and another plane (another test project,
 * another checkout's CI) checking meanwhile would find the same port free. Seen in CI: two planes
 * started 12 s apart, and the second one's kube-controller-manager failed with EADDRINUSE. A port
 * is reserved by creating a file named after it (exclusively), holding the owner's pid; the
 * process removes its files when it exits, and a file whose owner is gone is cleared after a while.
 */
const reservations = path.join(tmpdir(), "callback-operator-ports");
const held = new Set<string>();
/** A crashed owner's reservation is cleared only once this old (its pid may be reused sooner). */
const staleAfterMs = 10 * 60_000;

function reserve(port: number): boolean {
  mkdirSync(reservations, { recursive: true });
  const file = path.join(reservations, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: "wx" });
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
    clearIfStale(file);
    return false;
  }
  if (held.size === 0) process.once("exit", releaseAll);
  held.add(file);
  return true;
}

function clearIfStale(file: string): void {
  try {
    const owner = Number(readFileSync(file, "utf8"));
    if (isAlive(owner) || Date.now() - statSync(file).mtimeMs < staleAfterMs) return;
    unlinkSync(file);
  } catch {
    // Removed meanwhile by its owner or another process: nothing to clear.
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && "code" in error && error.code === "EPERM";
  }
}

function releaseAll(): void {
  for (const file of held) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
  held.clear();
}

/** Above the well-known and common service ports (PostgreSQL, Redis, RabbitMQ, the metrics port). */
const listenedPortsFloor = 16_000;

/** The kernel's ephemeral port range; Linux's default when it cannot be read. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && low > listenedPortsFloor + 1000)
      return [low, high];
  } catch {
    // Not Linux: the default below is as good a guess as any.
  }
  return [32_768, 60_999];
}

/** True when something accepts connections on 127.0.0.1:port. */
export function isPortBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(true);
    });
    server.listen(port, "127.0.0.1", () => {
      server.close(() => {
        resolve(false);
      });
    });
  });
}

const tcpStates: Record<string, string> = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "03": "SYN_RECV",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0A": "LISTEN",
  "0B": "CLOSING",
};

/**
 * The sockets bound to a local port, with their TCP states and owning processes, read from /proc
 * (Linux): what to print when a component cannot listen on a port it just held.
 */
export function socketsOnPort(port: number): string[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const found: { state: string; inode: string }[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readOrEmpty(table).split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(hex) === true) {
        found.push({
          state: tcpStates[fields[3] ?? ""] ?? String(fields[3]),
          inode: fields[9] ?? "0",
        });
      }
    }
  }
  const owners = socketOwners(new Set(found.map((f) => f.inode).filter((i) => i !== "0")));
  return found.map(
    (f) =>
      `${f.state}${f.inode === "0" ? " (orphaned)" : ` (${owners.get(f.inode) ?? "owner not found"})`}`,
  );
}

/** Socket inode → "pid <n> <command>", for the inodes asked. */
function socketOwners(inodes: ReadonlySet<string>): Map<string, string> {
  const owners = new Map<string, string>();
  if (inodes.size === 0) return owners;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    for (const fd of listOrEmpty(`/proc/${pid}/fd`)) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode !== undefined && inodes.has(inode)) {
          const command = readFileSync(`/proc/${pid}/cmdline`, "utf8")
            .split("\0")
            .slice(0, 2)
            .join(" ");
          owners.set(inode, `pid ${pid} ${command}`);
        }
      } catch {
        // The process or descriptor went away while we looked.
      }
    }
  }
  return owners;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // the process went away, or is not ours to read
  }
}
