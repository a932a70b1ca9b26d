// What the routes share with the app that registers them (app.ts builds it; routes/* read it), in a
// module of its own so that the routes need not import the app, nor the app its routes' types.
import type { FastifyRequest } from "fastify";
import type { CallbackService } from "./callback-service.ts";
import type { Clock } from "../runtime/clock.ts";
import type { LinkedServices } from "./linked-services.ts";
import type { Metrics } from "./metrics.ts";
import type { SessionDialogs } from "./session-dialogs.ts";
import type { ServiceOptions } from "./options.ts";
import type { Store } from "./store.ts";

/**
 * Whose records a caller may see: its own service's (the service's credentials, or none when the
 * service has none), or every service's (the admin credentials).
 */
export type CallerScope = "service" | "admin";

export interface AppContext {
  readonly store: Store;
  readonly serviceName: string;
  readonly options: () => ServiceOptions;
  /** The office-hours and capacity services the current options name. */
  readonly linked: () => LinkedServices;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly callbacks: CallbackService;
  /** Dialog continuation and check-queue-position, by callback id. */
  readonly sessions: SessionDialogs;
  readonly onCallbackDue: () => void;
  readonly ready: () => boolean;
  /** `scheme://host[:port]` of record URLs for this request. */
  readonly origin: (request: FastifyRequest) => string;
  readonly requireService: (request: FastifyRequest) => Promise<CallerScope>;
  readonly requireAdmin: (request: FastifyRequest) => Promise<void>;
}
