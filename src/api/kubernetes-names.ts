// Name formats of Kubernetes objects the API refers to.
import { z } from "zod";
import { limits } from "./limits.ts";

/** DNS-1123 subdomain: names of Secrets, ServiceTemplates, IngressClasses, Gateways. */
export const dnsSubdomainPattern =
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/** DNS-1123 label: namespaces. */
export const dnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** DNS-1035 label: Service names, so the name of a CallbackService (its Service shares it). */
export const dns1035LabelPattern = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/** A Secret key (the same rule as a ConfigMap key). */
export const secretKeyPattern = "^[-._a-zA-Z0-9]+$";

/** The name of a Kubernetes object another field refers to: a DNS-1123 subdomain. */
export function objectName(): z.ZodString {
  return z.string().min(1).max(limits.objectName).regex(new RegExp(dnsSubdomainPattern));
}
