// `CallbackService.spec.route`: how the service is exposed at /genesys/1/service/callback/{name}.
import { z } from "zod";
import { stringMap } from "./bounded-map.ts";
import { celMessage, celString, withCel } from "./cel.ts";
import { dnsLabelPattern, dnsSubdomainPattern, objectName } from "./kubernetes-names.ts";
import { limits } from "./limits.ts";

export const routeMessages = {
  bothKinds:
    "spec.route: set either ingressClassName (an Ingress) or parentRefs (a Gateway API HTTPRoute), not both",
  invalidHost: (host: string): string =>
    `spec.route.host: "${host}" is not a valid host name: use lowercase letters, digits, '-' and '.', e.g. callbacks.example.com (no scheme, port or wildcard)`,
} as const;

const parentRef = z.object({
  name: objectName().describe("Name of the Gateway."),
  namespace: z
    .string()
    .min(1)
    .max(limits.labelValue)
    .regex(new RegExp(dnsLabelPattern))
    .optional()
    .describe("Namespace of the Gateway; the CallbackService's namespace when omitted."),
  sectionName: z
    .string()
    .min(1)
    .max(limits.objectName)
    .optional()
    .describe(
      "Listener of the Gateway to attach to; all listeners that allow the route when omitted.",
    ),
});

export const routeSpecSchema = withCel(
  z.object({
    host: withCel(z.string().min(1).max(limits.host), [
      {
        // A host: a lowercase DNS subdomain, no wildcard.
        rule: `self.matches(${celString(dnsSubdomainPattern)})`,
        message: routeMessages.invalidHost("the value"),
        messageExpression: celMessage((host) => routeMessages.invalidHost(host), "self"),
      },
    ])
      .optional()
      .describe(
        "Host name the Callback API is served on (Ingress rule host or HTTPRoute hostname); the operator's default host, or any host, when omitted.",
      ),
    ingressClassName: objectName()
      .optional()
      .describe(
        "Expose the service with an Ingress of this class. Mutually exclusive with parentRefs; the operator's routing mode decides when both are omitted.",
      ),
    parentRefs: z
      .array(parentRef)
      .min(1)
      .max(limits.parentRefs)
      .optional()
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe(
        "Expose the service with a Gateway API HTTPRoute attached to these Gateways. Mutually exclusive with ingressClassName.",
      ),
    annotations: stringMap(limits.annotations, limits.annotationValue)
      .optional()
      .describe("Annotations added to the Ingress or HTTPRoute, e.g. for cert-manager."),
  }),
  [
    {
      rule: "!(has(self.ingressClassName) && has(self.parentRefs))",
      message: routeMessages.bothKinds,
      messageExpression: celMessage(() => routeMessages.bothKinds),
    },
  ],
).describe(
  "How the service is exposed at /genesys/1/service/callback/{name} (and /genesys/2/... for availability v2): an Ingress or a Gateway API HTTPRoute. Operator-wide defaults apply to what is omitted.",
);
