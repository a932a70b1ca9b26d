// No Gateway controller runs on the local plane, so nobody would ever accept an HTTPRoute. The
// demo and the tests do what a Gateway's controller would: report each route Accepted by every
// parent it names.

interface RouteList {
  items: {
    metadata: { name: string; generation: number };
    spec: { parentRefs?: Record<string, string>[] };
  }[];
}

/** Patches every HTTPRoute of `namespace` Accepted; returns the names of the routes patched. */
export function acceptHttpRoutes(
  kubectl: (args: readonly string[]) => string,
  namespace: string,
  by: string,
): string[] {
  const routes = JSON.parse(
    kubectl(["get", "httproutes", "-n", namespace, "-o", "json"]),
  ) as RouteList;
  for (const route of routes.items) {
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
    kubectl([
      "patch",
      "httproute",
      route.metadata.name,
      "-n",
      namespace,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { parents } }),
    ]);
  }
  return routes.items.map((route) => route.metadata.name);
}
