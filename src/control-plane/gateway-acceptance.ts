// No Gateway controller runs on the local plane, so nobody would ever accept an HTTPRoute. The
// demo and the tests do what a Gateway's controller would: report the route Accepted by each
// parent. This builds that status.

export interface RouteForAcceptance {
  readonly metadata: { readonly generation: number };
  readonly spec: { readonly parentRefs?: readonly Record<string, string>[] };
}

/** The `status` patch that reports the route Accepted by every parent it names. */
export function acceptedRouteStatus(
  route: RouteForAcceptance,
  by: string,
): { status: { parents: unknown[] } } {
  const parents = (route.spec.parentRefs ?? []).map((parentRef) => ({
    parentRef,
    controllerName: "callback-operator.io/simulated-gateway",
    conditions: [
      {
        type: "Accepted",
        status: "True",
        reason: "Accepted",
        message: `Accepted by ${by} (no Gateway controller runs on this machine)`,
        observedGeneration: route.metadata.generation,
        lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    ],
  }));
  return { status: { parents } };
}
