// The API on the real apiserver: both CRDs are accepted, explain and get print what users need,
// and the built-in template and every example are accepted as they are, stored exactly as the
// zod schemas parse them (so the CRD defaults and the zod defaults agree).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { builtinCallbackTemplate } from "../../src/api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../../src/api/builtin-section-templates.ts";
import { callbackServiceSchema } from "../../src/api/callback-service.ts";
import {
  createNamespace,
  crdNames,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
} from "../support/cluster.ts";

const root = path.join(import.meta.dirname, "../..");

const apply = (file: string, namespace?: string): string =>
  kubectl([
    "apply",
    "--server-side",
    "--force-conflicts",
    "--field-manager=callback-operator-tests",
    ...(namespace === undefined ? [] : ["-n", namespace]),
    "-f",
    file,
  ]);

const examplesDir = path.join(root, "examples");
const examples = readdirSync(examplesDir).filter((file) => file.endsWith(".yaml"));

interface Stored {
  metadata: { name: string };
  spec: unknown;
}

/** Column headers and rows of `kubectl get` table output. */
function table(output: string): { headers: string[]; rows: string[][] } {
  const lines = output.trimEnd().split("\n");
  const header = lines[0] ?? "";
  // Columns start where a header starts; cells may contain single spaces ("support, blackfriday").
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
  const cells = (line: string): string[] =>
    starts.map((start, i) => line.slice(start, starts[i + 1]).trim());
  return { headers: cells(header), rows: lines.slice(1).map(cells) };
}

beforeAll(installCrds);

describe("the CRDs", () => {
  it.each(crdNames)("%s is Established with its names accepted", (name) => {
    const crd = kubectlJson<{ status: { conditions: { type: string; status: string }[] } }>([
      "get",
      "crd",
      name,
    ]);
    const status = Object.fromEntries(crd.status.conditions.map((c) => [c.type, c.status]));
    expect(status).toMatchObject({ Established: "True", NamesAccepted: "True" });
  });

  it("explains spec.options and spec.scenario of a callback service", () => {
    const options = kubectl(["explain", "callbackservice.spec.options"]);
    expect(options).toContain("map[string]string");
    expect(options).toContain("_service_groups");
    expect(options).toMatch(/comma-separated\s+list of virtual service groups/);
    expect(options).toMatch(/template's defaults, overlaid by the values of\s+spec.scenario/);
    const scenario = kubectl(["explain", "callbackservice.spec.scenario"]);
    expect(scenario).toContain("Common Default Configuration");
    expect(scenario).toContain("User-Terminated-Delayed");
  });

  it("explains the fields of a template option", () => {
    const option = kubectl(["explain", "servicetemplate.spec.options", "--recursive"]);
    for (const field of [
      "name",
      "type",
      "enum",
      "default",
      "mandatory",
      "advanced",
      "request",
      "numbered",
    ]) {
      expect(option).toMatch(new RegExp(`^\\s+${field}\\s+<`, "m"));
    }
    expect(kubectl(["explain", "servicetemplate.spec.options.mandatory"])).toContain("lock icon");
    expect(kubectl(["explain", "servicetemplate.spec.options.numbered"])).toContain("_bh_regular1");
  });
});

describe("the built-in template", () => {
  it("is accepted as generated and stored as the zod schema parses it", () => {
    apply(path.join(root, "dist/callback-template.yaml"));
    const stored = kubectlJson<Stored>(["get", "servicetemplate", "callback"]);
    expect(stored.spec).toEqual(builtinCallbackTemplate.spec);
  });

  // gms-reference-2.md §2.1, §3: the GMS builtin office-hours and capacity templates, whose numbered
  // options (scenario values _bh_regular1, _capacity_1) pass the CRD's CEL rules.
  it.each(builtinSectionTemplates.map((t) => [t.metadata.name, t] as const))(
    "%s (section-only) is accepted and stored as the zod schema parses it",
    (name, template) => {
      kubectl(
        [
          "apply",
          "--server-side",
          "--force-conflicts",
          "--field-manager=callback-operator-tests",
          "-f",
          "-",
        ],
        { input: stringify({ ...template, status: undefined }) },
      );
      const stored = kubectlJson<Stored>(["get", "servicetemplate", name]);
      expect(stored.spec).toEqual(template.spec);
    },
  );

  it("is listed by kubectl get svctpl with Type, Revision, Services and Ready columns", () => {
    const { headers, rows } = table(kubectl(["get", "svctpl", "callback"]));
    expect(headers).toEqual(["NAME", "TYPE", "REVISION", "SERVICES", "READY", "AGE"]);
    expect(rows[0]?.slice(0, 2)).toEqual(["callback", "callback"]);
  });
});

describe("the examples", () => {
  let namespace = "";
  beforeAll(() => {
    namespace = createNamespace("api-examples");
    apply(path.join(root, "dist/callback-template.yaml"));
  });

  it.each(examples)("examples/%s is accepted and stored as the zod schema parses it", (file) => {
    apply(path.join(examplesDir, file), namespace);
    const written = callbackServiceSchema.parse(
      parse(readFileSync(path.join(examplesDir, file), "utf8")),
    );
    const stored = kubectlJson<Stored>(["get", "-n", namespace, "cbs", written.metadata.name]);
    expect(stored.spec).toEqual(written.spec);
  });

  it("lists services with Template, Scenario, Groups, URL, Ready and Age", async () => {
    const name = "callback-blackfriday-support";
    // What the controller will write; the columns must show it.
    kubectl([
      "patch",
      "-n",
      namespace,
      "cbs",
      name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({
        status: {
          url: `http://callbacks.example.com/genesys/1/service/callback/${name}`,
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "ReconciliationSucceeded",
              message: "Available",
              lastTransitionTime: "2026-11-25T12:00:00Z",
            },
          ],
        },
      }),
    ]);
    await expect
      .poll(() => table(kubectl(["get", "cbs", "-n", namespace])).rows.length)
      .toBe(examples.length);
    const { headers, rows } = table(kubectl(["get", "cbs", "-n", namespace]));
    expect(headers).toEqual(["NAME", "TEMPLATE", "SCENARIO", "GROUPS", "URL", "READY", "AGE"]);
    expect(rows.find((row) => row[0] === name)).toEqual([
      name,
      "callback",
      "User-Terminated-Scheduled",
      "support, blackfriday",
      `http://callbacks.example.com/genesys/1/service/callback/${name}`,
      "True",
      expect.stringMatching(/^\d+[smh]/),
    ]);
    expect(rows.find((row) => row[0] === "callback-support")?.slice(1, 4)).toEqual([
      "callback",
      "User-Terminated-Delayed",
      "support",
    ]);
  });

  it("lists both kinds with kubectl get callback", () => {
    const output = kubectl(["get", "callback", "-n", namespace, "-o", "name"]);
    expect(output.split("\n")).toEqual(
      expect.arrayContaining([
        "callbackservice.callback-operator.io/callback-support",
        "callbackservice.callback-operator.io/callback-for-mobile",
        "servicetemplate.callback-operator.io/callback",
      ]),
    );
  });

  it("fills in the schema defaults of a minimal service", () => {
    const object = {
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "CallbackService",
      metadata: { name: "minimal", namespace },
      spec: { scenario: "User-Originated-Immediate", api: { image: "example.invalid/api:1" } },
    };
    kubectl(["apply", "--server-side", "--field-manager=callback-operator-tests", "-f", "-"], {
      input: JSON.stringify(object),
    });
    const stored = kubectlJson<Stored>(["get", "-n", namespace, "cbs", "minimal"]);
    expect(stored.spec).toEqual({
      template: "callback",
      scenario: "User-Originated-Immediate",
      suspend: false,
      api: { image: "example.invalid/api:1", replicas: 1 },
    });
    expect(tryKubectl(["get", "-n", namespace, "cbs", "minimal", "-o", "name"]).stdout).toBe(
      "callbackservice.callback-operator.io/minimal\n",
    );
  });
});
