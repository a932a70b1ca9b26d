// Which watch events are worth a reconcile. The operator's own status writes come back as update
// events of the service; reconciling them again would render and compare everything for nothing
// (controller-runtime's GenerationChangedPredicate, widened to what the operator reads besides
// the spec: labels, annotations such as requested-at, deletion).
import type { KubeObject } from "../runtime/kube-client.ts";

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** True when only the status (or the resourceVersion) of a service changed. */
export function onlyStatusChanged(updated: KubeObject, old: KubeObject): boolean {
  const a = updated.metadata;
  const b = old.metadata;
  return (
    a.generation === b.generation &&
    a.deletionTimestamp === b.deletionTimestamp &&
    sameJson(a.labels, b.labels) &&
    sameJson(a.annotations, b.annotations) &&
    sameJson(a["finalizers"], b["finalizers"])
  );
}
