// Paths GMS clients address by a callback's `_id` alone (gms-reference-2.md §4.3, §4.4): the dialog
// continuation and check-queue-position. They carry no service name: the caller's credentials are
// those of the service that owns the id, and an id of another service is not found (ADR 0111).
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { checkPathParam } from "../request-params.ts";
import { checkId } from "./shared.ts";

const BASE = "/genesys/1/service";

interface IdParams {
  id: string;
}

interface IdActionParams {
  id: string;
  action: string;
}

export function registerSessionRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Params: IdParams }>(`${BASE}/:id/check-queue-position`, async (request) => {
    await context.requireService(request);
    return context.sessions.queuePosition(checkId(request.params.id));
  });

  // The Android demo GETs `{base}/service/{_id}/{_action}` from a push message; a DisplayMenu
  // item's `_user_action_url` may be POSTed to (gms-reference.md §5): both answer the next dialog.
  const continueDialog = async (request: { params: IdActionParams }) => {
    const id = checkId(request.params.id);
    checkPathParam("dialog action", request.params.action);
    return context.sessions.continueDialog(id, request.params.action);
  };
  app.get<{ Params: IdActionParams }>(`${BASE}/:id/:action`, async (request) => {
    await context.requireService(request);
    return continueDialog(request);
  });
  app.post<{ Params: IdActionParams }>(`${BASE}/:id/:action`, async (request) => {
    await context.requireService(request);
    return continueDialog(request);
  });
}
