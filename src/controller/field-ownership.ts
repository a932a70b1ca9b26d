// Server-side apply bookkeeping the built-in templates need (docs/adr/0112): handing the fields the
// older operator created over to its apply manager, and leaving out of an apply configuration the
// fields a 409 conflict names, in the apiserver's own field-path notation.

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

/** A FieldsV1 set: `f:<field>`, `k:<key JSON>`, `v:<value JSON>` and `.` nodes, leaves `{}`. */
export interface FieldSet {
  [node: string]: FieldSet;
}

/**
 * The manager the apiserver derived from the older operator's User-Agent (`callback-operator
 * (<host>_<pid>)`, one per replica and process) when it created a built-in template with a POST,
 * which records an `Update` of every field it sent.
 */
const legacyManager = /^callback-operator \(.+\)$/;

function isLegacyCreator(entry: ManagedFieldsEntry): boolean {
  return (
    entry.operation === "Update" &&
    (entry.subresource ?? "") === "" &&
    legacyManager.test(entry.manager ?? "")
  );
}

function union(sets: readonly (FieldSet | undefined)[]): FieldSet {
  const result: FieldSet = {};
  for (const set of sets) {
    if (set === undefined) continue;
    for (const [node, children] of Object.entries(set)) {
      result[node] = union([result[node], children]);
    }
  }
  return result;
}

/**
 * The managedFields with the older operator's `Update` entries folded into `fieldManager`'s
 * `Apply` entry, as client-go's csaupgrade does for kubectl: fields it alone still owns become the
 * apply manager's (changed or removed by the next apply), fields a user changed since are not in
 * its set any more and stay the user's. Undefined when there is nothing to hand over.
 */
export function adoptLegacyFields(
  entries: readonly ManagedFieldsEntry[],
  fieldManager: string,
  apiVersion: string,
  now: string,
): ManagedFieldsEntry[] | undefined {
  const legacy = entries.filter(isLegacyCreator);
  if (legacy.length === 0) return undefined;
  const isOurs = (entry: ManagedFieldsEntry): boolean =>
    entry.manager === fieldManager &&
    entry.operation === "Apply" &&
    (entry.subresource ?? "") === "";
  const ours = entries.find(isOurs);
  return [
    ...entries.filter((entry) => !isLegacyCreator(entry) && !isOurs(entry)),
    {
      manager: fieldManager,
      operation: "Apply",
      apiVersion,
      time: now,
      fieldsType: "FieldsV1",
      fieldsV1: union([ours?.fieldsV1, ...legacy.map((entry) => entry.fieldsV1)]),
    },
  ];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Path of a list item as structured-merge-diff prints it: `[name="x"]` for an item of a list
 * keyed by `name`, `[="x"]` for a member of a set (only these two list kinds occur in templates).
 */
function itemPath(item: Json): string {
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    return `[name=${JSON.stringify(item["name"] ?? null)}]`;
  }
  return `[=${JSON.stringify(item)}]`;
}

function without(value: Json, path: string, target: string): { value: Json; found: boolean } {
  if (Array.isArray(value)) {
    let found = false;
    const items: Json[] = [];
    for (const item of value) {
      const childPath = path + itemPath(item);
      if (childPath === target) {
        found = true;
        continue;
      }
      if (!found && target.startsWith(childPath)) {
        const inner = without(item, childPath, target);
        found = inner.found;
        items.push(inner.value);
      } else items.push(item);
    }
    return { value: items, found };
  }
  if (typeof value === "object" && value !== null) {
    let found = false;
    const fields: { [key: string]: Json } = {};
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      if (childPath === target) {
        found = true;
        continue;
      }
      if (!found && target.startsWith(childPath)) {
        const inner = without(child, childPath, target);
        found = inner.found;
        fields[key] = inner.value;
      } else fields[key] = child;
    }
    return { value: fields, found };
  }
  return { value, found: false };
}

/**
 * `config` without the fields named in the apiserver's notation (`.spec.options[name="_ttl"].default`),
 * and the paths that name no field of it.
 */
export function withoutFields<T extends object>(
  config: T,
  paths: readonly string[],
): { config: T; unknown: string[] } {
  let value = config as unknown as Json;
  const unknown: string[] = [];
  for (const path of paths) {
    const result = without(value, "", path);
    if (result.found) value = result.value;
    else unknown.push(path);
  }
  return { config: value as unknown as T, unknown };
}
