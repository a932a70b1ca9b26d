// The operator renders the Callback API's command line into each Deployment; the Callback API
// parses it with its own flag rows. The two meet only in a running pod, so this checks here that
// every rendered command line parses, to the ports the pod declares.
import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../api/callback-service.ts";
import { parseFlags } from "../callback-api/cli-flags.ts";
import { defaultRenderConfig } from "../render/render-config.ts";
import { render } from "../render/render.ts";

interface Container {
  readonly args: readonly string[];
  readonly env?: readonly { readonly name: string }[];
  readonly ports: readonly { readonly name: string; readonly containerPort: number }[];
}

function renderedContainer(spec: Record<string, unknown>, defaultHost = ""): Container {
  const service = callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: "callback-support", namespace: "contact-centre", uid: "uid-1" },
    spec: { scenario: "User-Originated-Immediate", ...spec },
  });
  const result = render(service, builtinCallbackTemplate, { ...defaultRenderConfig, defaultHost });
  if (!result.ok) throw new Error(`${result.reason}: ${result.message}`);
  const deployment = result.children.find((child) => child.kind === "Deployment") as
    { spec: { template: { spec: { containers: Container[] } } } } | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  if (container === undefined) throw new Error("no Callback API container");
  return container;
}

/** The container's command line and environment as the process sees them (Secrets resolved). */
function parse(container: Container) {
  const [command, ...argv] = container.args;
  expect(command).toBe("callback-api");
  const env = Object.fromEntries(
    (container.env ?? []).map(({ name }) => [
      name,
      name === "CALLBACK_API_DATABASE_URL" ? "postgres://db/callbacks" : "x",
    ]),
  );
  const parsed = parseFlags(argv, env);
  if (parsed.kind !== "config") throw new Error(JSON.stringify(parsed));
  const port = (name: string) => container.ports.find((p) => p.name === name)?.containerPort;
  expect(parsed.config.port).toBe(port("http"));
  expect(parsed.config.metricsPort).toBe(port("metrics"));
  return parsed.config;
}

describe("the Callback API command line the operator renders", () => {
  it("parses with embedded PGlite and no host", () => {
    const config = parse(renderedContainer({ options: { _route_point: "8999@SIP_Switch" } }));
    expect(config).toMatchObject({
      serviceName: "callback-support",
      storage: { kind: "pglite", dataDir: "/var/lib/callback-api" },
      externalUrl: undefined,
    });
  });

  it("parses with a database Secret and a routed host", () => {
    const config = parse(
      renderedContainer(
        {
          options: { _route_point: "8999@SIP_Switch" },
          api: { databaseSecretRef: { name: "db" } },
          route: { host: "callbacks.example.com" },
        },
        "ignored.example.com",
      ),
    );
    expect(config).toMatchObject({
      storage: { kind: "postgres", url: "postgres://db/callbacks" },
      externalUrl: "https://callbacks.example.com",
    });
  });
});
