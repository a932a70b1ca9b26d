// Every file generated from src/api/, in memory: `npm run generate` writes them and a unit test
// fails when the files on disk differ. To generate another copy (the chart's CRDs, an install
// bundle), add a target here.
import { stringify } from "yaml";
import { builtinCallbackTemplateInput } from "./builtin-callback-template.ts";
import { callbackServiceCrd } from "./callback-service.ts";
import { consolePermissionCrd } from "./console-permission.ts";
import { toCrd, type CrdSource } from "./crd.ts";
import { apiGroup } from "./group.ts";
import { serviceTemplateCrd } from "./service-template.ts";

export interface GeneratedFile {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

export const generateCommand = "npm run generate";

/** The kinds of this API, in the order their CRDs are listed. */
export const crdSources: readonly CrdSource[] = [
  callbackServiceCrd,
  serviceTemplateCrd,
  consolePermissionCrd,
];

/** A YAML document with a header saying it is generated and how. */
export function yamlFile(path: string, what: string, document: unknown): GeneratedFile {
  const header = [
    `# ${what}`,
    `# Generated from src/api/ by \`${generateCommand}\` (src/cli/generate.ts). Do not edit.`,
  ].join("\n");
  // YAML 1.1 quoting: kubectl reads YAML 1.1, where an unquoted y, yes or on is a boolean.
  const body = stringify(document, { version: "1.1", lineWidth: 0 });
  return { path, content: `${header}\n${body}` };
}

export function crdFiles(): GeneratedFile[] {
  return crdSources.map((source) =>
    yamlFile(
      `crds/${apiGroup}_${source.names.plural}.yaml`,
      `CustomResourceDefinition of ${source.names.kind} (${apiGroup}).`,
      toCrd(source),
    ),
  );
}

export function builtinTemplateFile(): GeneratedFile {
  return yamlFile(
    "dist/callback-template.yaml",
    'The built-in "callback" ServiceTemplate. The operator\'s chart installs it; apply it by hand with kubectl apply --server-side -f dist/callback-template.yaml.',
    builtinCallbackTemplateInput,
  );
}

/**
 * The CRDs again as templates of the Helm chart, so that `helm upgrade` upgrades them (Helm never
 * upgrades crds/). Kept on uninstall, and behind `crds.enabled`. The Helm directives sit in YAML
 * comments and in quoted strings, so each file is still one valid YAML document.
 */
export function chartCrdFiles(): GeneratedFile[] {
  return crdSources.map((source) => {
    const crd = toCrd(source) as { metadata: { labels?: Record<string, string> } };
    const document = {
      ...crd,
      metadata: {
        ...crd.metadata,
        labels: {
          ...crd.metadata.labels,
          "app.kubernetes.io/instance": "{{ .Release.Name }}",
          "app.kubernetes.io/managed-by": "{{ .Release.Service }}",
          "app.kubernetes.io/version": "{{ .Chart.AppVersion }}",
          "helm.sh/chart": "{{ .Chart.Name }}-{{ .Chart.Version }}",
        },
        annotations: { "helm.sh/resource-policy": "keep" },
      },
    };
    const file = yamlFile(
      `charts/callback-operator/templates/crd-${source.names.plural}.yaml`,
      `CustomResourceDefinition of ${source.names.kind} (${apiGroup}), as a chart template.`,
      document,
    );
    const [what, generated, ...body] = file.content.split("\n");
    const content = [
      what,
      generated,
      "# {{- if .Values.crds.enabled }}",
      ...body.slice(0, -1),
      "# {{- end }}",
      "",
    ].join("\n");
    return { path: file.path, content };
  });
}

/** Every generated file. */
export function generatedFiles(): GeneratedFile[] {
  return [...crdFiles(), ...chartCrdFiles(), builtinTemplateFile()];
}
