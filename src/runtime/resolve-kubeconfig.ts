// Child process of cluster-access.ts: loads a kubeconfig with client-node (the file given, or as
// loadFromDefault picks it), resolves its current credentials (running an exec plugin if the user
// has one) and prints them as one JSON Resolution. Exits at once, taking client-node's memory along.
import { KubeConfig } from "@kubernetes/client-node";
import type { Resolution } from "./cluster-access.ts";
import { kubeConfigAccess } from "./kubeconfig-access.ts";

async function resolve(file: string | undefined): Promise<Resolution> {
  const kubeConfig = new KubeConfig();
  try {
    if (file === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(file);
  } catch (error) {
    return { kind: "unreadable", message: (error as Error).message };
  }
  if (kubeConfig.getCurrentCluster() === null) return { kind: "no-cluster" };
  const user = kubeConfig.getCurrentUser();
  const access = kubeConfigAccess(kubeConfig);
  const resolution = {
    kind: "resolved",
    server: access.server,
    renews: user?.exec != null || user?.authProvider != null,
  } as const;
  try {
    return { ...resolution, credentials: await access.credentials() };
  } catch (error) {
    return { ...resolution, error: (error as Error).message };
  }
}

process.stdout.write(JSON.stringify(await resolve(process.argv[2])));
