// Local users (docs/adr/0132): a directory, usually a mounted Secret, with one file per user whose
// name is the user name and whose content is a scrypt hash line from `console hash-password`.
// The directory is read on every sign-in, so a changed Secret applies without a restart.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

/** scrypt cost: N = 2^15 with r = 8 takes 32 MiB and tens of milliseconds, per OWASP's minimum. */
const defaults = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MIN_N = 2 ** 15;
const MAX_N = 2 ** 20;

/** A user name as a file name: what a Secret key allows, without dot files. */
const userNamePattern = /^[A-Za-z0-9_-][-._A-Za-z0-9@]{0,252}$/;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/** `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>` of a password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, defaults.N, defaults.r, defaults.p);
  return [
    "scrypt",
    defaults.N,
    defaults.r,
    defaults.p,
    salt.toString("base64url"),
    key.toString("base64url"),
  ].join("$");
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(line: string): ParsedHash | undefined {
  const parts = line.trim().split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const key = Buffer.from(parts[5] ?? "", "base64url");
  const powerOfTwo = Number.isInteger(N) && (N & (N - 1)) === 0;
  if (!powerOfTwo || N < MIN_N || N > MAX_N) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16)
    return undefined;
  if (salt.length < 8 || key.length !== KEY_LENGTH) return undefined;
  return { N, r, p, salt, key };
}

/** Whether `password` matches the hash line; a malformed line matches nothing. */
export async function verifyPassword(line: string, password: string): Promise<boolean> {
  const parsed = parseHash(line);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.N, parsed.r, parsed.p);
  return timingSafeEqual(key, parsed.key);
}

/** A hash of no password, compared against when the user is unknown, so both take as long. */
const decoy = await hashPassword(randomBytes(16).toString("hex"));

export type SignInProblem = "invalid_credentials" | "bad_hash_file";

export class LocalUsers {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The user name when the password is right; unknown user and wrong password look the same. */
  async check(
    username: string,
    password: string,
  ): Promise<{ ok: true } | { ok: false; problem: SignInProblem }> {
    let line: string | undefined;
    if (userNamePattern.test(username)) {
      try {
        line = await readFile(path.join(this.#dir, username), "utf8");
      } catch {
        line = undefined;
      }
    }
    if (line === undefined) {
      await verifyPassword(decoy, password);
      return { ok: false, problem: "invalid_credentials" };
    }
    if (parseHash(line) === undefined) {
      await verifyPassword(decoy, password);
      return { ok: false, problem: "bad_hash_file" };
    }
    return (await verifyPassword(line, password))
      ? { ok: true }
      : { ok: false, problem: "invalid_credentials" };
  }
}
