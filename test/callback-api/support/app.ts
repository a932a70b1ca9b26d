// An app over a test store, with a manual clock and options set in code instead of files.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../../src/callback-api/app.ts";
import { ManualClock } from "../../../src/runtime/clock.ts";
import { resolveOptions, type ServiceOptions } from "../../../src/callback-api/options.ts";
import type { Store } from "../../../src/callback-api/store.ts";

export const GMS = "com.genesyslab.gsg.services.callback.exceptions";
export const START = "2030-03-04T10:00:00.000Z";
export const ADMIN = { username: "admin", password: "admin-secret" };

/** Options that keep tests about one rule free of the others (numbers like 5115 are fine). */
export const PERMISSIVE = {
  _disallow_impossible_phone_numbers: "false",
  _disallow_premium_phone_numbers: "false",
  _enable_in_queue_checking: "false",
  _throttle_request_parameters_limit: "1000",
  _throttle_callbacks_per_service_1: "1000000",
  _throttle_callbacks_per_service_2: "1000000",
};

export function uniqueService(prefix = "svc"): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly clock: ManualClock;
  readonly serviceName: string;
  readonly base: string;
  readonly setOptions: (raw: Record<string, string>) => Promise<void>;
  /** Replaces the mounted sections of office-hours and capacity services, by service name. */
  readonly setSections: (sections: Record<string, Record<string, string>>) => void;
  readonly options: () => ServiceOptions;
  readonly dueCount: () => number;
}

export async function makeApp(
  store: Store,
  raw: Record<string, string> = PERMISSIVE,
  opts: {
    serviceName?: string;
    clock?: ManualClock;
    admin?: boolean;
    sections?: Record<string, Record<string, string>>;
  } = {},
): Promise<TestApp> {
  const serviceName = opts.serviceName ?? uniqueService();
  const clock = opts.clock ?? new ManualClock(START);
  let options = resolveOptions(serviceName, raw);
  let due = 0;
  // As ServiceSections holds them: one object per mounted directory, replaced when it changes.
  let sections = new Map(Object.entries(opts.sections ?? {}));
  await store.registerService(
    { name: serviceName, serviceGroups: options._service_groups },
    clock.now(),
  );
  const app = await buildApp({
    store,
    serviceName,
    options: () => options,
    sections: (name) => sections.get(name),
    clock,
    logger: false,
    admin:
      opts.admin === false
        ? undefined
        : { username: ADMIN.username, password: () => Promise.resolve(ADMIN.password) },
    onCallbackDue: () => {
      due++;
    },
  });
  return {
    app,
    clock,
    serviceName,
    base: `/genesys/1/service/callback/${serviceName}`,
    async setOptions(next) {
      options = resolveOptions(serviceName, next);
      await store.registerService(
        { name: serviceName, serviceGroups: options._service_groups },
        clock.now(),
      );
    },
    setSections(next) {
      sections = new Map(Object.entries(next));
    },
    options: () => options,
    dueCount: () => due,
  };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export const adminAuth = { authorization: basic(ADMIN.username, ADMIN.password) };
