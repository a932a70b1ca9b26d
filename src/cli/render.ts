// `callback-operator render -f service.yaml`: prints the objects the operator would apply for each
// CallbackService in the file, for reviews of GitOps changes. Nothing is sent to a cluster.
import { readFile } from "node:fs/promises";
import { parseAllDocuments, stringify } from "yaml";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { callbackServiceSchema } from "../api/callback-service.ts";
import { kinds } from "../api/group.ts";
import { serviceTemplateSchema, type ServiceTemplate } from "../api/service-template.ts";
import { defaultRenderConfig, routingModes } from "../render/render-config.ts";
import { render } from "../render/render.ts";
import { choiceFlag, FlagError, flagHelp, readFlags, type Flag } from "../runtime/flags.ts";

const flags: readonly Flag[] = [
  {
    name: "filename",
    short: "f",
    env: "CALLBACK_OPERATOR_RENDER_FILE",
    help: "YAML file with one or more CallbackServices (and optionally their ServiceTemplates); - for standard input.",
  },
  {
    name: "template",
    env: "CALLBACK_OPERATOR_RENDER_TEMPLATE",
    help: "YAML file with ServiceTemplates; the built-in callback, office-hours and capacity templates are always known.",
  },
  {
    name: "routing-mode",
    env: "CALLBACK_OPERATOR_ROUTING_MODE",
    help: "ingress or httproute, as the operator is configured.",
    default: "ingress",
  },
  { name: "help", env: "CALLBACK_OPERATOR_HELP", help: "Print this help.", boolean: true },
];

async function readDocuments(file: string): Promise<unknown[]> {
  const text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((doc) => doc !== null);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const kindOf = (doc: unknown): unknown =>
  typeof doc === "object" && doc !== null ? (doc as { kind?: unknown }).kind : undefined;

export async function run(argv: string[]): Promise<void> {
  try {
    const values = readFlags(flags, argv, process.env);
    if (values("help") === "true") {
      process.stdout.write(
        `Usage: callback-operator render -f service.yaml [--template template.yaml]\n\n${flagHelp(flags)}\n`,
      );
      return;
    }
    const file = values("filename");
    if (file === undefined)
      throw new FlagError("-f FILE is required: the CallbackService YAML to render");
    const docs = await readDocuments(file);
    const templateFile = values("template");
    const templates = new Map<string, ServiceTemplate>(
      [builtinCallbackTemplate, ...builtinSectionTemplates].map((t) => [t.metadata.name, t]),
    );
    for (const doc of [
      ...docs,
      ...(templateFile === undefined ? [] : await readDocuments(templateFile)),
    ]) {
      if (kindOf(doc) !== kinds.serviceTemplate.kind) continue;
      const template = serviceTemplateSchema.parse(doc);
      templates.set(template.metadata.name, template);
    }
    const config = {
      ...defaultRenderConfig,
      routingMode: choiceFlag(values, "routing-mode", routingModes),
    };
    const services = docs.filter((doc) => kindOf(doc) === kinds.callbackService.kind);
    if (services.length === 0) throw new FlagError(`${file} holds no CallbackService`);
    let failed = false;
    for (const doc of services) {
      const parsed = callbackServiceSchema.safeParse(doc);
      if (!parsed.success) {
        process.stderr.write(
          `error: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`,
        );
        failed = true;
        continue;
      }
      const service = parsed.data;
      const result = render(service, templates.get(service.spec.template), config);
      if (!result.ok) {
        process.stderr.write(
          `error: ${service.metadata.name}: ${result.reason}: ${result.message}\n`,
        );
        failed = true;
        continue;
      }
      for (const warning of result.facts.warnings)
        process.stderr.write(`warning: ${service.metadata.name}: ${warning}\n`);
      process.stdout.write(
        `# ${service.metadata.name}: url ${result.facts.url ?? "none (section-only)"}, groups [${result.facts.serviceGroups.join(", ")}], config ${result.facts.configHash}\n`,
      );
      for (const child of result.children) process.stdout.write(`---\n${stringify(child)}`);
    }
    if (failed) process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof FlagError) && !(error instanceof Error && "code" in error)) throw error;
    process.stderr.write(`callback-operator render: ${error.message}\n`);
    process.exitCode = 2;
  }
}
