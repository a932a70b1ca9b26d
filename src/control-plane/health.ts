import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { sleep } from "./processes.ts";

export interface Probe {
  readonly url: string;
  /** CA to verify the serving cert; omitted for components that serve a self-signed cert. */
  readonly ca?: string;
}

/** GETs a health URL on loopback; resolves to the status code, or 0 when nothing answers. */
export function probe({ url, ca }: Probe): Promise<number> {
  return new Promise((resolve) => {
    const parsed = new URL(url);
    const options = {
      timeout: 2_000,
      ...(ca === undefined ? { rejectUnauthorized: false } : { ca }),
    };
    const req =
      parsed.protocol === "https:"
        ? request(parsed, options, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
        : httpRequest(parsed, { timeout: 2_000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
    req.on("timeout", () => req.destroy());
    req.on("error", () => {
      resolve(0);
    });
    req.end();
  });
}

/**
 * Polls until the probe answers 200. Fails early, naming the log to read, when the component's
 * process has died instead of coming up.
 */
export async function waitHealthy(
  name: string,
  target: Probe,
  options: { timeoutMs: number; alive: () => boolean; logFile: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if ((await probe(target)) === 200) return;
    if (!options.alive()) throw new Error(`${name} exited during start-up; see ${options.logFile}`);
    if (Date.now() > deadline) {
      throw new Error(
        `${name} was not healthy at ${target.url} after ${options.timeoutMs / 1000} s; see ${options.logFile}`,
      );
    }
    await sleep(100);
  }
}
