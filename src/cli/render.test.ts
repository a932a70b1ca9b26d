// `callback-operator render -f`, run as a user runs it on the shipped examples: what a GitOps
// review shows is what the operator applies (issue 16: durable storage and one writer by default).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const node = fileURLToPath(new URL("../../node_modules/.bin/node", import.meta.url));
const cli = fileURLToPath(new URL("./main.ts", import.meta.url));
const example = (name: string): string =>
  fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

interface Rendered {
  kind: string;
  spec?: {
    replicas?: number;
    volumeClaimTemplates?: { metadata: { name: string } }[];
    persistentVolumeClaimRetentionPolicy?: { whenDeleted: string };
    template?: { spec: { volumes: { name: string; emptyDir?: unknown }[] } };
  };
}

function renderFile(file: string): { status: number | null; objects: Rendered[]; stderr: string } {
  const result = spawnSync(node, [cli, "render", "-f", file], { encoding: "utf8" });
  const objects = parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((doc): doc is Rendered => doc !== null);
  return { status: result.status, objects, stderr: result.stderr };
}

describe("callback-operator render -f", () => {
  it("shows a service without a database on one StatefulSet pod with a retained claim for its data, and no emptyDir for it", () => {
    const { status, objects, stderr } = renderFile(example("callback-support.yaml"));
    expect(stderr).not.toContain("error");
    expect(status).toBe(0);
    expect(objects.map((o) => o.kind)).not.toContain("Deployment");
    const workload = objects.find((o) => o.kind === "StatefulSet");
    expect(workload?.spec?.replicas).toBe(1);
    expect(workload?.spec?.volumeClaimTemplates?.map((c) => c.metadata.name)).toEqual(["data"]);
    expect(workload?.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted).toBe("Retain");
    const emptyDirs = (workload?.spec?.template?.spec.volumes ?? []).filter(
      (v) => v.emptyDir !== undefined,
    );
    expect(emptyDirs.map((v) => v.name)).toEqual(["tmp"]);
  });

  it("shows a service on PostgreSQL as a Deployment", () => {
    const { status, objects } = renderFile(example("callback-blackfriday-support.yaml"));
    expect(status).toBe(0);
    expect(objects.map((o) => o.kind)).toContain("Deployment");
    expect(objects.map((o) => o.kind)).not.toContain("StatefulSet");
  });
});
