// The admin password file, shared by the Callback API and the entry point: checked once at start,
// then re-read on each admin request so that a rotated Secret takes effect without a restart.
import { readFile } from "node:fs/promises";
import { fileFailure, StartFailure } from "./start-failure.ts";

export async function readSecretFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch {
    return undefined;
  }
}

/** A missing or empty file is caught at start. */
export async function checkAdminPassword(path: string): Promise<void> {
  let password: string;
  try {
    password = await readFile(path, "utf8");
  } catch (error) {
    throw fileFailure("--admin-password-file", path, error);
  }
  if (password.trim() === "") {
    throw new StartFailure(
      `--admin-password-file ${path} is empty: put the admin password in it, or drop --admin-username and --admin-password-file to disable the admin API`,
    );
  }
}
