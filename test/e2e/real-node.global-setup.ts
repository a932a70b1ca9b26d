// The e2e project's own plane: the control plane plus a real node (containerd, a kubelet), with
// the product image built (`npm run image`'s definition) and loaded into the node's containerd
// under the chart's default reference, as a user's cluster would pull it.
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startTestPlane } from "../../src/control-plane/test-plane.ts";
import { buildProductImage } from "../../src/control-plane/product-image.ts";
import { importImage, type RealNodeState } from "../../src/control-plane/real-node.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The real node of the e2e plane. */
    realNode: RealNodeState;
    /** The product image loaded into it: reference, digest and where its archive is. */
    productImage: { reference: string; digest: string; archive: string; archiveSize: number };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const progress = (message: string): void => {
    process.stderr.write(`[real-node] ${message}\n`);
  };
  const plane = await startTestPlane(progress, { realNode: true });
  try {
    const node = plane.state.realNode;
    if (node === undefined) throw new Error("The plane started without its real node");
    const archive = path.join(plane.state.dir, "callback-operator.oci.tar");
    const started = Date.now();
    const image = await buildProductImage(progress, archive);
    importImage(node, archive);
    progress(
      `image ${image.reference} ${image.digest} (${(image.archiveSize / 2 ** 20).toFixed(1)} MiB) built and loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    project.provide("kubeconfig", plane.state.kubeconfig);
    project.provide("kubectl", plane.state.kubectl);
    project.provide("pkiDir", plane.state.pkiDir);
    project.provide("clusterKind", "local");
    project.provide("realNode", node);
    project.provide("productImage", {
      reference: image.reference,
      digest: image.digest,
      archive,
      archiveSize: image.archiveSize,
    });
  } catch (error) {
    await plane.stop();
    throw error;
  }
  return () => plane.stop();
}
