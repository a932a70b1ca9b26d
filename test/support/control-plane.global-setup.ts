import { readFile } from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { startTestPlane } from "../../src/control-plane/test-plane.ts";
import { toolBinDir } from "../../src/control-plane/tool-builds.ts";
import path from "node:path";
import { existsSync } from "node:fs";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin kubeconfig of the cluster under test. */
    kubeconfig: string;
    /** kubectl binary matching the cluster. */
    kubectl: string;
    /** PKI directory of a local plane (signs user certificates); "" for an external cluster. */
    pkiDir: string;
    /** "local" when this run started its own plane, "external" for CALLBACK_OPERATOR_TEST_KUBECONFIG. */
    clusterKind: "local" | "external";
  }
}

/**
 * One control plane per test run. CALLBACK_OPERATOR_TEST_KUBECONFIG points the same suite at an
 * existing cluster (kind, for those with Docker) instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["CALLBACK_OPERATOR_TEST_KUBECONFIG"];
  if (external !== undefined && external !== "") {
    await readFile(external); // fail early, naming the file, if it is missing
    const cached = path.join(toolBinDir(), "kubectl");
    project.provide("kubeconfig", path.resolve(external));
    project.provide("kubectl", existsSync(cached) ? cached : "kubectl");
    project.provide("pkiDir", "");
    project.provide("clusterKind", "external");
    return () => Promise.resolve();
  }
  const plane = await startTestPlane((message) => {
    process.stderr.write(`[control-plane] ${message}\n`);
  });
  process.stderr.write(
    `[control-plane] ready at ${plane.state.server} in ${plane.state.startSeconds.toFixed(1)} s (logs: ${plane.state.dir}/logs)\n`,
  );
  project.provide("kubeconfig", plane.state.kubeconfig);
  project.provide("kubectl", plane.state.kubectl);
  project.provide("pkiDir", plane.state.pkiDir);
  project.provide("clusterKind", "local");
  return () => plane.stop();
}
