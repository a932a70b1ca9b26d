// What the operator keeps of each object in its caches (ADR 0126). Reconciling compares a child with
// what it would apply and reads the workload's and route's health; nothing else. So a cached child
// holds the fields the operator applied, found through its own managedFields entry, its status,
// and the metadata the reconcile and the event handlers read: a Deployment loses the defaults the
// apiserver filled in (probes' periods, DNS policy, strategy…) and a ConfigMap its values, kept as
// one digest. At 10,000 services that is most of the operator's heap.
import { isDeepStrictEqual } from "node:util";
import { contentHash } from "../render/hash.ts";
import type { KubeObject, ObjectMeta } from "../runtime/kube-client.ts";
import { isRecord } from "./semantic-equal.ts";

/**
 * A CallbackService without managedFields and without the copy of itself that client-side
 * `kubectl apply` keeps in an annotation (as large as its spec; nothing reads it).
 */
export function cachedService<T extends KubeObject>(service: T): T {
  const { managedFields: _, annotations, ...metadata } = service.metadata;
  const { [lastAppliedKey]: __, ...kept } = annotations ?? {};
  return {
    ...service,
    metadata: { ...metadata, ...(annotations === undefined ? {} : { annotations: kept }) },
  };
}

const lastAppliedKey = "kubectl.kubernetes.io/last-applied-configuration";

/** Where a cached ConfigMap keeps the digest of its data (no ConfigMap has a field of this name). */
const dataDigestKey = "callback-operator.io/data-digest";

/** A managedFields trie (FieldsV1): `f:<field>`, `k:<key json>`, `v:<value json>`, `i:<index>`, `.`. */
type FieldSet = Readonly<Record<string, unknown>>;

interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsV1?: FieldSet;
}

/**
 * The cached form of a child as the apiserver returned it. Without an Apply entry of
 * `fieldManager` (never applied by this operator, or its managedFields were cleared) nothing of
 * the spec is kept, so the child never looks up to date and the next reconcile applies it.
 */
export function cachedChild(object: KubeObject, fieldManager: string): KubeObject {
  const fields = ownFields(object.metadata.managedFields, fieldManager) ?? {};
  const { apiVersion, kind, metadata, status, ...body } = object;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const owned = fields[`f:${key}`];
    if (isRecord(owned)) kept[key] = project(value, owned);
  }
  // Health reads the desired replica count even where another manager owns it.
  const replicas = (body["spec"] as { replicas?: unknown } | undefined)?.replicas;
  if (replicas !== undefined) {
    kept["spec"] = { ...(kept["spec"] as Record<string, unknown> | undefined), replicas };
  }
  if (kind === "ConfigMap") {
    kept[dataDigestKey] = contentHash(kept["data"] ?? {});
    delete kept["data"];
  }
  return {
    ...(apiVersion === undefined ? {} : { apiVersion }),
    ...(kind === undefined ? {} : { kind }),
    ...kept,
    metadata: cachedMetadata(metadata, fields["f:metadata"]),
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * The digest of a ConfigMap's data, from its cached form or from the object itself: the desired
 * ConfigMap and the cached one compare by it.
 */
export function configMapDigest(object: Readonly<Record<string, unknown>>): string {
  const cached = object[dataDigestKey];
  return typeof cached === "string" ? cached : contentHash(object["data"] ?? {});
}

/** A desired ConfigMap without its data, to compare the rest of it with a cached one. */
export function withoutData<T extends Readonly<Record<string, unknown>>>(
  object: T,
): Omit<T, "data"> {
  const { data: _, ...rest } = object;
  return rest;
}

/**
 * Identity, version and ownership whole (the event handlers map a child to its service by its
 * labels, the ownership check reads every controller reference); annotations only as applied.
 */
function cachedMetadata(metadata: ObjectMeta, fields: unknown): ObjectMeta {
  const { name, namespace, uid, resourceVersion, generation, labels, ownerReferences } = metadata;
  const owned = isRecord(fields) ? fields["f:annotations"] : undefined;
  const annotations =
    isRecord(owned) && metadata.annotations !== undefined
      ? (project(metadata.annotations, owned) as Record<string, string>)
      : undefined;
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    ...(uid === undefined ? {} : { uid }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
    ...(generation === undefined ? {} : { generation }),
    ...(metadata.deletionTimestamp === undefined
      ? {}
      : { deletionTimestamp: metadata.deletionTimestamp }),
    ...(labels === undefined ? {} : { labels }),
    ...(annotations === undefined ? {} : { annotations }),
    ...(ownerReferences === undefined ? {} : { ownerReferences }),
  };
}

function ownFields(
  managedFields: unknown[] | undefined,
  fieldManager: string,
): FieldSet | undefined {
  const entry = (managedFields as ManagedFieldsEntry[] | undefined)?.find(
    (e) =>
      e.manager === fieldManager &&
      e.operation === "Apply" &&
      (e.subresource === undefined || e.subresource === ""),
  );
  return entry?.fieldsV1;
}

/**
 * The part of `value` that `fields` names. A node that names no member (`{}` or only `.`) is kept
 * whole: a leaf, or an atomic map or list owned as one value. List members are matched by their
 * key fields (`k:`), their value (`v:`) or their index (`i:`), and keep their order.
 */
export function project(value: unknown, fields: FieldSet): unknown {
  const members = Object.keys(fields).filter((key) => key !== ".");
  if (members.length === 0) return value;
  if (Array.isArray(value)) {
    const matchers = members.map((member) => ({
      matches: listMember(member),
      fields: fields[member],
    }));
    const out: unknown[] = [];
    value.forEach((item, index) => {
      const match = matchers.find(({ matches }) => matches(item, index));
      if (match !== undefined) out.push(project(item, match.fields as FieldSet));
    });
    return out;
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const member of members) {
    if (!member.startsWith("f:")) continue;
    const name = member.slice(2);
    if (name in value) out[name] = project(value[name], fields[member] as FieldSet);
  }
  return out;
}

/** Whether a list member of the trie names `item`, the list's `index`-th element. */
function listMember(member: string): (item: unknown, index: number) => boolean {
  const [kind, rest] = [member.slice(0, 2), member.slice(2)];
  if (kind === "i:") return (_, index) => Number(rest) === index;
  if (kind === "v:") {
    const want = JSON.parse(rest) as unknown;
    return (item) => isDeepStrictEqual(item, want);
  }
  if (kind === "k:") {
    const keys = Object.entries(JSON.parse(rest) as Record<string, unknown>);
    return (item) =>
      isRecord(item) && keys.every(([key, want]) => isDeepStrictEqual(item[key], want));
  }
  return () => false;
}
