import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashPassword, LocalUsers, verifyPassword } from "./local-users.ts";

describe("hashPassword", () => {
  it("writes scrypt$N$r$p$salt$hash with N of at least 2^15 and a fresh salt each time", async () => {
    const one = await hashPassword("correct horse");
    const two = await hashPassword("correct horse");
    expect(one).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(one).not.toBe(two);
    expect(await verifyPassword(one, "correct horse")).toBe(true);
    expect(await verifyPassword(two, "correct horse")).toBe(true);
    expect(await verifyPassword(one, "correct horse ")).toBe(false);
  });

  it("matches nothing with a malformed or too cheap line", async () => {
    const good = await hashPassword("pw");
    const [, , r, p, salt, hash] = good.split("$");
    for (const line of [
      "",
      "pw",
      `bcrypt$32768$${r}$${p}$${salt}$${hash}`,
      `scrypt$1024$${r}$${p}$${salt}$${hash}`,
      `scrypt$30000$${r}$${p}$${salt}$${hash}`,
      `scrypt$32768$${r}$${p}$${salt}$${hash?.slice(0, 10)}`,
    ])
      expect(await verifyPassword(line, "pw")).toBe(false);
  });
});

describe("LocalUsers", () => {
  it("reads the user's file on each sign-in and answers unknown users like wrong passwords", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "local-users-"));
    const users = new LocalUsers(dir);
    expect(await users.check("sam", "pw")).toEqual({ ok: false, problem: "invalid_credentials" });
    await writeFile(path.join(dir, "sam"), `${await hashPassword("pw")}\n`);
    expect(await users.check("sam", "pw")).toEqual({ ok: true });
    expect(await users.check("sam", "other")).toEqual({
      ok: false,
      problem: "invalid_credentials",
    });
    await writeFile(path.join(dir, "ann"), "not a hash\n");
    expect(await users.check("ann", "pw")).toEqual({ ok: false, problem: "bad_hash_file" });
    // Names that would leave the directory or read a Secret volume's own files are never read.
    for (const name of ["../sam", "..data", ".sam", "sam/x", ""])
      expect(await users.check(name, "pw")).toEqual({ ok: false, problem: "invalid_credentials" });
  });
});

describe("callback-operator console hash-password", () => {
  const run = (input: string) =>
    spawnSync(
      path.join(import.meta.dirname, "../../node_modules/.bin/node"),
      [path.join(import.meta.dirname, "../cli/main.ts"), "console", "hash-password"],
      { input, encoding: "utf8" },
    );

  it("prints the hash line of the password on stdin, without its final newline", async () => {
    const result = run("s3cret pass\n");
    expect(result.status).toBe(0);
    const line = result.stdout.trim();
    expect(await verifyPassword(line, "s3cret pass")).toBe(true);
    expect(result.stdout).not.toContain("s3cret");
  });

  it("refuses an empty stdin, naming the fix", () => {
    const result = run("");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("no password on stdin");
  });
});
