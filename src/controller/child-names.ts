// Which names of the child kinds are taken in the watched namespaces, by anyone: the ownership
// check's proof that a name is free, without a GET per child (ADR 0128). Fed by a metadata-only
// informer per child kind (metadataOnly), reduced to the key and resourceVersion of each object.
import { configMapName } from "../render/children.ts";
import type { KubeObject } from "../runtime/kube-client.ts";
import type { ChildKind } from "./resources.ts";

/**
 * What the view keeps of an object: its key, and the resourceVersion the informer compares to
 * tell an update. Ownership itself is read from the object (the label cache, or one GET), never
 * from here, so a stale entry can cost a GET but never decide a conflict.
 */
export function nameOnly(object: KubeObject): KubeObject {
  const { name, namespace, resourceVersion } = object.metadata;
  return { metadata: { name, namespace, resourceVersion } };
}

/**
 * The CallbackService whose child of `kind` would have this object's name: the ConfigMap is
 * `service.{name}`, every other child `{name}`. Undefined for a ConfigMap of another name.
 */
export function claimantName(kind: ChildKind, object: KubeObject): string | undefined {
  const { name } = object.metadata;
  if (kind !== "ConfigMap") return name;
  const prefix = configMapName("");
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}
