// The built-in `callback` ServiceTemplate: the GMS 8.5 callback options (declared from the table in
// gms-options.ts) and the Common Default Configurations, as documented by Genesys ("Callback
// Scenarios"). Choices where Genesys is silent are recorded in
// docs/adr/0022-gms-facts-in-the-builtin-template.md. The chart installs it;
// dist/callback-template.yaml holds it for those who load it by hand.
import { z } from "zod";
import { apiVersion, builtinTemplateName, kinds } from "./group.ts";
import { gmsOptions, type GmsOption, type OptionClass } from "./gms-options.ts";
import {
  serviceTemplateSchema,
  type ServiceTemplate,
  type ServiceTemplateInput,
  type templateOptionSchema,
} from "./service-template.ts";

type OptionInput = z.input<typeof templateOptionSchema>;

/**
 * A table row as the template declares it. Fields at their schema default are left out, as a person
 * would write them (dist/callback-template.yaml shows this form).
 */
function declaration(option: GmsOption): OptionInput {
  const has = (c: OptionClass): boolean => option.class.includes(c);
  return {
    name: option.name,
    ...(option.type === undefined ? {} : { type: option.type }),
    ...(option.enum === undefined ? {} : { enum: [...option.enum] }),
    ...(option.default === undefined || option.prefill === false
      ? {}
      : { default: option.default }),
    ...(has("mandatory") ? { mandatory: true } : {}),
    ...(has("request") ? { request: true } : {}),
    ...(has("advanced") ? { advanced: true } : {}),
    category: option.category,
    description: option.description,
  };
}

const options: OptionInput[] = (gmsOptions as readonly GmsOption[]).map(declaration);

/** The four General options each Common Default Configuration presets. */
function preset(
  direction: "USERORIGINATED" | "USERTERMINATED",
  waitForAgent: boolean,
  waitForUserConfirm: boolean,
): Record<string, string> {
  return {
    _call_direction: direction,
    _media_type: "voice",
    _wait_for_agent: String(waitForAgent),
    _wait_for_user_confirm: String(waitForUserConfirm),
  };
}

const scenarios = [
  {
    name: "User-Originated-Immediate",
    description:
      "The customer asks for a number to call; GMS returns access information (number, optionally a code) at once and the customer dials in. Fill in _target and _resource_group.",
    values: preset("USERORIGINATED", false, false),
  },
  {
    name: "User-Originated-Delayed",
    description:
      "The customer is notified when an agent is available, confirms, and then dials in. Fill in _target and _resource_group.",
    values: preset("USERORIGINATED", true, true),
  },
  {
    name: "User-Terminated-Immediate",
    description:
      "The contact center dials the customer at once and routes the call to an agent. Fill in _target and _route_point.",
    values: preset("USERTERMINATED", false, false),
  },
  {
    name: "User-Terminated-Delayed",
    description:
      "The request waits for an agent; the customer's device is notified and confirms; then the customer is dialled. Fill in _target and _route_point.",
    values: preset("USERTERMINATED", true, true),
  },
  {
    name: "User-Terminated-Preview",
    description:
      "Delayed Agent Preview: when an agent is available, the agent accepts or cancels the callback before the customer is dialled. Fill in _target and _route_point.",
    values: { ...preset("USERTERMINATED", true, false), _agent_preview: "true" },
  },
  {
    name: "User-Terminated-Scheduled",
    description:
      "The customer picks a time (_desired_time in the request, from the slots of _business_hours_service); at that time the request waits for an agent and the customer is dialled. Fill in _target, _route_point and _business_hours_service.",
    values: preset("USERTERMINATED", true, true),
  },
];

/** The built-in template as written (defaults omitted, as in dist/callback-template.yaml). */
export const builtinCallbackTemplateInput: ServiceTemplateInput = {
  apiVersion,
  kind: kinds.serviceTemplate.kind,
  metadata: {
    name: builtinTemplateName,
    labels: { "app.kubernetes.io/part-of": "callback-operator" },
  },
  spec: {
    serviceType: "callback",
    description:
      "GMS 8.5 Callback service template (callback.zip): the callback options and the Common Default Configurations User-Originated-Immediate, User-Originated-Delayed, User-Terminated-Immediate, User-Terminated-Delayed, User-Terminated-Preview and User-Terminated-Scheduled.",
    options,
    scenarios,
  },
};

/** The built-in template, parsed by the same schema as any other (defaults filled in). */
export const builtinCallbackTemplate: ServiceTemplate = serviceTemplateSchema.parse(
  builtinCallbackTemplateInput,
);
