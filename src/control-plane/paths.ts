import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, found from this file so that commands work from any working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Built binaries live outside the repo, keyed by version, so clones and CI runs on one machine
 * share them. Override with CALLBACK_OPERATOR_CACHE (e.g. to a CI cache volume).
 */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["CALLBACK_OPERATOR_CACHE"];
  if (explicit !== undefined && explicit !== "") return path.resolve(explicit);
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : path.join(homedir(), ".cache");
  return path.join(base, "callback-operator");
}

/**
 * The developer plane of `npm run cluster:up`: .cluster/ in the repo, or CALLBACK_OPERATOR_CLUSTER_DIR
 * (the lifecycle tests use a scratch directory so they never touch a developer's running plane).
 */
export function clusterDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["CALLBACK_OPERATOR_CLUSTER_DIR"];
  return explicit !== undefined && explicit !== ""
    ? path.resolve(explicit)
    : path.join(repoRoot, ".cluster");
}

/** One directory per test run's plane, so a crashed run can be found and reaped by the next. */
export function testRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(clusterDir(env), "test-runs");
}
