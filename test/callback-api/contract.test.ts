// The operator ↔ Callback API contract: the pod the operator renders must run the program it
// names. The rendered Deployment's args and env go through the Callback API's own flag parser, the
// program is started with exactly them (mount paths mapped to temporary directories, the API port
// to a free one), and the probes and the Service reach what the parser says listens where. A
// renamed flag, a probe path the server does not serve, or a Service aimed at the wrong container
// port fails here, although every pod on kwok would still look Ready.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../../src/api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../../src/api/callback-service.ts";
import { parseFlags, type CliConfig } from "../../src/callback-api/cli-flags.ts";
import { defaultRenderConfig } from "../../src/render/render-config.ts";
import { render } from "../../src/render/render.ts";
import { createPostgresDatabase } from "./support/databases.ts";
import type { CreatedDatabase } from "./support/postgres-admin.ts";
import { startServer, stopServer, type ServerProcess } from "./support/server-process.ts";

interface Container {
  args: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
  }[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string | number } };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  emptyDir?: object;
  projected?: {
    sources: (
      | { configMap: { name: string } }
      | { secret: { name: string; items: { key: string; path: string }[] } }
    )[];
  };
}
interface Rendered {
  container: Container;
  volumes: Volume[];
  configMapData: Record<string, string>;
  servicePorts: { port: number; targetPort: string | number }[];
}

const password = "s3cret-contract";
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

function renderService(api: Record<string, unknown>): Rendered {
  const service = callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: "contract", namespace: "contact-centre", uid: "uid-contract" },
    spec: {
      scenario: "User-Terminated-Immediate",
      options: { username: "agent", _route_point: "8999@SIP_Switch" },
      route: { host: "callbacks.example.com" },
      api: { passwordSecretRef: { name: "contract-password", key: "password" }, ...api },
    },
  });
  const result = render(service, builtinCallbackTemplate, defaultRenderConfig);
  if (!result.ok) throw new Error(`render: ${result.reason}: ${result.message}`);
  const child = (kind: string): Record<string, unknown> => {
    const found = result.children.find((c) => c.kind === kind);
    if (found === undefined) throw new Error(`no ${kind} rendered`);
    return found;
  };
  // PostgreSQL: a Deployment; the embedded database: a StatefulSet, its data volume a claim.
  const workload = result.children.find((c) => c.kind === "Deployment") ?? child("StatefulSet");
  const workloadSpec = workload["spec"] as {
    template: { spec: unknown };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
  const podSpec = workloadSpec.template.spec as { containers: Container[]; volumes: Volume[] };
  const [container] = podSpec.containers;
  if (container === undefined || podSpec.containers.length !== 1) throw new Error("one container");
  return {
    container,
    // A claim mounts as an empty directory of its own, as a new volume does.
    volumes: [
      ...podSpec.volumes,
      ...(workloadSpec.volumeClaimTemplates ?? []).map((claim) => ({ name: claim.metadata.name })),
    ],
    configMapData: child("ConfigMap")["data"] as Record<string, string>,
    servicePorts: (child("Service")["spec"] as { ports: Rendered["servicePorts"] }).ports,
  };
}

/**
 * The pod's file system on this machine: each mount a temporary directory holding what the kubelet
 * would put there (the ConfigMap's keys and the Secret's items of a projected volume; nothing for an
 * emptyDir). Returns mount path → directory.
 */
async function mountVolumes(rendered: Rendered): Promise<Map<string, string>> {
  const root = await mkdtemp(path.join(tmpdir(), "cbapi-contract-"));
  cleanup.push(() => rm(root, { recursive: true, force: true }));
  const mounts = new Map<string, string>();
  for (const mount of rendered.container.volumeMounts) {
    const volume = rendered.volumes.find((v) => v.name === mount.name);
    if (volume === undefined) throw new Error(`mount ${mount.name} names no volume`);
    const dir = path.join(root, mount.name);
    await mkdir(dir);
    for (const source of volume.projected?.sources ?? []) {
      if ("configMap" in source) {
        for (const [key, value] of Object.entries(rendered.configMapData)) {
          await writeFile(path.join(dir, key), value);
        }
      } else {
        for (const item of source.secret.items)
          await writeFile(path.join(dir, item.path), password);
      }
    }
    mounts.set(mount.mountPath, dir);
  }
  return mounts;
}

/** An argument that is a mount path, or a path under one, on this machine. */
function mapPath(arg: string, mounts: ReadonlyMap<string, string>): string {
  for (const [mountPath, dir] of mounts) {
    if (arg === mountPath || arg.startsWith(`${mountPath}/`))
      return dir + arg.slice(mountPath.length);
  }
  return arg;
}

/** The container's environment as the kubelet would set it, Secret references resolved. */
function environment(
  container: Container,
  secrets: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    const value = ref === undefined ? variable.value : secrets[`${ref.name}/${ref.key}`];
    if (value === undefined) throw new Error(`env ${variable.name}: nothing to resolve it from`);
    env[variable.name] = value;
  }
  return env;
}

function parsed(argv: readonly string[], env: Record<string, string>): CliConfig {
  const result = parseFlags(argv, env);
  if (result.kind !== "config") {
    throw new Error(
      `the Callback API refuses the rendered args ${argv.join(" ")}: ${JSON.stringify(result)}`,
    );
  }
  return result.config;
}

const containerPort = (container: Container, port: string | number): number => {
  if (typeof port === "number") return port;
  const found = container.ports.find((p) => p.name === port);
  if (found === undefined) throw new Error(`port "${port}" names no container port`);
  return found.containerPort;
};

/** Where on this machine the container port is served, by what the parser says listens on it. */
function local(server: ServerProcess, config: CliConfig, port: number): string {
  if (port === config.port) return server.base;
  if (port === config.metricsPort) return server.metricsBase;
  throw new Error(`nothing in the Callback API listens on container port ${String(port)}`);
}

describe.each([
  ["embedded PGlite", {}],
  ["PostgreSQL from a Secret", { databaseSecretRef: { name: "contract-db", key: "url" } }],
] as const)("the rendered pod runs the Callback API it names (%s)", (_name, api) => {
  it(
    "parses the args, starts with them, answers both probes and the Service's port",
    { timeout: 120_000 },
    async () => {
      const rendered = renderService(api);
      const { container } = rendered;
      const [command, ...flags] = container.args;
      expect(command).toBe("callback-api");
      let database: CreatedDatabase | undefined;
      if ("databaseSecretRef" in api) {
        database = await createPostgresDatabase();
        const created = database;
        cleanup.push(() => created.drop());
      }
      const env = environment(
        container,
        database === undefined ? {} : { "contract-db/url": database.url },
      );

      // What the program makes of the pod, before any mapping: ports and paths as the pod has them.
      const inPod = parsed(flags, env);
      expect(inPod.serviceName).toBe("contract");
      expect(container.ports.map((p) => p.containerPort).sort()).toEqual(
        [inPod.port, inPod.metricsPort].sort(),
      );
      const mountPaths = container.volumeMounts.map((m) => m.mountPath);
      expect(mountPaths).toContain(inPod.configDir);
      if (inPod.storage.kind === "pglite") expect(mountPaths).toContain(inPod.storage.dataDir);
      expect(inPod.storage.kind).toBe(database === undefined ? "pglite" : "postgres");

      // The same args on this machine: mount paths to directories, the API port to a free one
      // (startServer adds --host 127.0.0.1 and --metrics-port 0 before them).
      const mounts = await mountVolumes(rendered);
      const argv = flags.map((arg, i) => (flags[i - 1] === "--port" ? "0" : mapPath(arg, mounts)));
      const server = await startServer(argv, 60_000, { env });
      cleanup.push(() => stopServer(server));

      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        const base = local(server, inPod, containerPort(container, probe.httpGet.port));
        const res = await fetch(`${base}${probe.httpGet.path}`);
        expect(res.status, `probe ${probe.httpGet.path}`).toBe(200);
      }

      // The Service's target port is the routed Callback API: a start-callback through it is stored.
      expect(rendered.servicePorts).toHaveLength(1);
      const target = rendered.servicePorts[0]?.targetPort ?? "";
      const base = local(server, inPod, containerPort(container, target));
      const auth = `Basic ${Buffer.from(`agent:${password}`).toString("base64")}`;
      const started = await fetch(`${base}/genesys/1/service/callback/contract`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({ _customer_number: "+12025550123" }),
      });
      expect(started.status, await started.clone().text()).toBe(200);
      const { _id } = (await started.json()) as { _id: string };
      const found = await fetch(`${base}/genesys/1/service/callback/contract?_id=${_id}`, {
        headers: { authorization: auth },
      });
      expect(found.status).toBe(200);
      expect(((await found.json()) as { _id: string }[]).map((r) => r._id)).toEqual([_id]);
    },
  );
});
