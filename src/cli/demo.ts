// `npm run demo`: the whole product on this machine. A local control plane (or the cluster
// KUBECONFIG names), the CRDs, the operator, the examples, and a curl that works: through a
// port-forward to the example service's real pod when the plane has a real node
// (`npm run demo -- --real-node`, or a plane started with `cluster:up -- --real-node`), otherwise —
// pods being only simulated by kwok — to its Callback API run locally from its ConfigMap. Then the
// console (the Callback UI, docs/console.md) with a demo user who is Administrator of the example.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { kubectl as runKubectl } from "../control-plane/control-plane.ts";
import { ensureDevPlane } from "../control-plane/dev-plane.ts";
import { acceptHttpRoutes } from "../control-plane/gateway-acceptance.ts";
import { clusterDir, repoRoot } from "../control-plane/paths.ts";
import { freePort } from "../control-plane/ports.ts";
import { buildProductImage, productImageArchive } from "../control-plane/product-image.ts";
import { importImage, realNodeTaint, type RealNodeState } from "../control-plane/real-node.ts";
import { toolBinDir } from "../control-plane/tool-builds.ts";
import { configMapName } from "../render/children.ts";

const namespace = "callback-demo";
const exampleService = "callback-support";
/** The Callback APIs' admin credentials in the demo namespace (ADR 0105), for the console. */
const adminSecretName = "callback-demo-admin";
const say = (message: string): void => {
  process.stdout.write(`${message}\n`);
};

interface Cluster {
  readonly kubeconfig: string;
  readonly kubectl: string;
  readonly realNode?: RealNodeState;
}

async function cluster(realNode: boolean): Promise<Cluster> {
  const given = process.env["KUBECONFIG"];
  if (given !== undefined && given !== "") {
    say(`Using the cluster of KUBECONFIG=${given}`);
    const built = path.join(toolBinDir(), "kubectl");
    return { kubeconfig: given, kubectl: existsSync(built) ? built : "kubectl" };
  }
  say(
    "Starting the local control plane (the first run builds it from Go modules: about 10 minutes)",
  );
  const { state, reused } = await ensureDevPlane(
    (message) => {
      say(`  ${message}`);
    },
    { realNode },
  );
  say(
    reused
      ? `Reusing the control plane at ${state.server}`
      : `Control plane ready at ${state.server}`,
  );
  return {
    kubeconfig: state.kubeconfig,
    kubectl: state.kubectl,
    ...(state.realNode === undefined ? {} : { realNode: state.realNode }),
  };
}

function kubectlRunner(c: Cluster): (args: readonly string[], input?: string) => string {
  return (args, input) => runKubectl({ binary: () => c.kubectl }, c.kubeconfig, args, input);
}

function startProcess(
  name: string,
  args: readonly string[],
  logDir: string,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const log = openSync(path.join(logDir, `${name}.log`), "w");
  return spawn(process.execPath, [path.join(repoRoot, "bin/callback-operator.js"), ...args], {
    stdio: ["ignore", log, log],
    env: { ...process.env, ...env },
  });
}

async function waitHttp(url: string, process: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (process.exitCode !== null) throw new Error(`${what} exited; see its log`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await wait(200);
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/**
 * No Gateway controller runs here, so nobody would ever accept an HTTPRoute. The demo does what
 * the Gateway's controller would: it reports each route Accepted by its parent Gateways.
 */
async function acceptRoutesOnceApplied(kubectl: ReturnType<typeof kubectlRunner>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const accepted = acceptHttpRoutes(kubectl, namespace, "the demo");
    for (const name of accepted) {
      say(`  HTTPRoute ${name}: marked Accepted, as its Gateway's controller would`);
    }
    if (accepted.length > 0) return;
    await wait(200);
  }
}

export async function run(argv: string[]): Promise<void> {
  const once = argv.includes("--once");
  const c = await cluster(argv.includes("--real-node"));
  const kubectl = kubectlRunner(c);
  const logDir = path.join(clusterDir(), "demo");
  mkdirSync(logDir, { recursive: true });
  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const child of children) child.kill("SIGTERM");
  };
  process.once("SIGINT", stopAll);
  process.once("SIGTERM", stopAll);
  try {
    say("Installing the CRDs");
    kubectl([
      "apply",
      "--server-side",
      "--force-conflicts",
      "--field-manager=callback-operator-demo",
      "-f",
      path.join(repoRoot, "crds"),
    ]);
    kubectl([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/callbackservices.callback-operator.io",
      "crd/servicetemplates.callback-operator.io",
      "crd/consolepermissions.callback-operator.io",
    ]);

    say("Starting the operator (log: .cluster/demo/operator.log)");
    const healthPort = await freePort();
    const operator = startProcess(
      "operator",
      [
        "operator",
        `--kubeconfig=${c.kubeconfig}`,
        "--leader-elect=false",
        `--health-probe-bind-address=127.0.0.1:${String(healthPort)}`,
      ],
      logDir,
    );
    children.push(operator);
    await waitHttp(`http://127.0.0.1:${String(healthPort)}/readyz`, operator, "The operator");

    say(`Applying the examples in namespace ${namespace}`);
    kubectl(
      ["apply", "--server-side", "-f", "-"],
      `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`,
    );
    const secret = (name: string, key: string, value: string): void => {
      kubectl(
        ["apply", "--server-side", "-f", "-"],
        kubectl([
          "create",
          "secret",
          "generic",
          name,
          "-n",
          namespace,
          `--from-literal=${key}=${value}`,
          "--dry-run=client",
          "-o",
          "yaml",
        ]),
      );
    };
    secret("callback-for-mobile-auth", "password", randomBytes(12).toString("hex"));
    secret(
      "callback-blackfriday-support-db",
      "url",
      "postgres://callbacks@postgres.callback-demo.svc:5432/callbacks",
    );
    kubectl(["apply", "--server-side", "-n", namespace, "-f", path.join(repoRoot, "examples")]);
    await acceptRoutesOnceApplied(kubectl);
    for (const name of kubectl([
      "get",
      "cbs",
      "-n",
      namespace,
      "-o",
      "jsonpath={.items[*].metadata.name}",
    ]).split(" ")) {
      kubectl(["wait", "-n", namespace, "--for=condition=Ready", "--timeout=120s", `cbs/${name}`]);
    }
    say("");
    say(kubectl(["get", "cbs", "-n", namespace]));
    say(
      kubectl([
        "get",
        "configmaps,deployments,services,ingresses,httproutes",
        "-n",
        namespace,
        "-l",
        "app.kubernetes.io/managed-by=callback-operator",
      ]),
    );
    say(
      `Services of group support: ${kubectl(["get", "cbs", "-n", namespace, "-l", "group.callback-operator.io/support", "-o", "jsonpath={.items[*].metadata.name}"])}`,
    );

    const admin = adminCredentials(kubectl, logDir);
    const apiBase =
      c.realNode === undefined
        ? await localCallbackApi(kubectl, logDir, children, admin)
        : await realPod(c, kubectl, children);
    const url = `${apiBase}/genesys/1/service/callback/${exampleService}`;
    const curl = `curl -s -X POST ${url} -d _customer_number=5145550199 -d name=Ada`;
    const answer = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "_customer_number=5145550199&name=Ada",
    });
    say(
      `\nA callback, as a GMS client asks for one:\n  ${curl}\n  → ${String(answer.status)} ${await answer.text()}`,
    );
    say(
      `\nAnd the callbacks waiting for that number:\n  curl -s '${url}?_customer_number=5145550199'`,
    );
    const ui = await startConsole(c, logDir, children, { admin, apiBase });
    say(
      `\nThe console (Callback UI): ${ui.url}\n  sign in as ${ui.username} / ${ui.password} (Administrator of ${exampleService}; log: .cluster/demo/console.log)`,
    );
    if (once) return;
    say(
      "\nThe operator, the Callback API and the console keep running; press Ctrl-C to stop them (the cluster stays up: npm run cluster:down).",
    );
    await new Promise((resolve) => operator.once("exit", resolve));
  } finally {
    stopAll();
  }
}

/**
 * Pods are simulated by kwok, so the Callback API of the example runs as a local process reading
 * the same section the operator wrote into the ConfigMap. Returns its base URL.
 */
async function localCallbackApi(
  kubectl: ReturnType<typeof kubectlRunner>,
  logDir: string,
  children: ChildProcess[],
  admin: AdminCredentials,
): Promise<string> {
  const section = JSON.parse(
    kubectl([
      "get",
      "configmap",
      "-n",
      namespace,
      configMapName(exampleService),
      "-o",
      "jsonpath={.data}",
    ]),
  ) as Record<string, string>;
  const configDir = path.join(logDir, "config", exampleService);
  rmSync(configDir, { recursive: true, force: true });
  // A fresh store each run: GMS in-queue checking refuses a third queued callback per number,
  // so the printed curl would start failing after a few runs of the demo.
  rmSync(path.join(logDir, "data"), { recursive: true, force: true });
  mkdirSync(configDir, { recursive: true });
  for (const [option, value] of Object.entries(section))
    writeFileSync(path.join(configDir, option), value);
  const apiPort = await freePort();
  say(
    `Starting the Callback API of ${exampleService} on 127.0.0.1:${String(apiPort)} (log: .cluster/demo/callback-api.log)`,
  );
  const api = startProcess(
    "callback-api",
    [
      "callback-api",
      "--service-name",
      exampleService,
      "--config-dir",
      configDir,
      "--host",
      "127.0.0.1",
      "--port",
      String(apiPort),
      // A free port: the default (9464) may be taken on a developer's machine.
      "--metrics-port",
      "0",
      "--data-dir",
      path.join(logDir, "data"),
      // The admin endpoints, which the console calls.
      "--admin-username",
      admin.username,
      "--admin-password-file",
      admin.passwordFile,
    ],
    logDir,
  );
  children.push(api);
  await waitHttp(`http://127.0.0.1:${String(apiPort)}/readyz`, api, "The Callback API");
  return `http://127.0.0.1:${String(apiPort)}`;
}

/**
 * The example's pod on the real node: the image built and loaded into the node's containerd, the
 * service moved there (its selector and toleration), and a port-forward to its pod. Returns the
 * forward's base URL.
 */
async function realPod(
  c: Cluster,
  kubectl: ReturnType<typeof kubectlRunner>,
  children: ChildProcess[],
): Promise<string> {
  if (c.realNode === undefined) throw new Error("No real node");
  say("Building the image (npm run image) and loading it into the real node");
  const image = await buildProductImage((message) => {
    say(`  ${message}`);
  });
  importImage(c.realNode, productImageArchive);
  say(`  ${image.reference} ${image.digest}`);
  const api = {
    nodeSelector: { [realNodeTaint.key]: realNodeTaint.value },
    tolerations: [{ key: realNodeTaint.key, operator: "Exists", effect: realNodeTaint.effect }],
    // The admin endpoints on, for the console (ADR 0105).
    adminSecretRef: { name: adminSecretName },
  };
  kubectl([
    "patch",
    "cbs",
    exampleService,
    "-n",
    namespace,
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { api } }),
  ]);
  // A new pod each run, with a fresh store (an emptyDir): GMS in-queue checking refuses a third
  // queued callback per number, so the printed curl would start failing after a few runs.
  kubectl(["rollout", "restart", "-n", namespace, `deploy/${exampleService}`]);
  say(`Moving ${exampleService}'s pod to the real node; waiting for it to be Ready (real probes)`);
  kubectl(["rollout", "status", "-n", namespace, `deploy/${exampleService}`, "--timeout=300s"]);
  const forward = spawn(
    c.kubectl,
    [
      `--kubeconfig=${c.kubeconfig}`,
      "port-forward",
      "-n",
      namespace,
      "--address=127.0.0.1",
      `deploy/${exampleService}`,
      ":8080",
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  children.push(forward);
  const port = await new Promise<string>((resolve, reject) => {
    let output = "";
    forward.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    forward.once("exit", () => {
      reject(new Error(`kubectl port-forward exited: ${output}`));
    });
  });
  say(`Port-forward to ${exampleService}'s pod on 127.0.0.1:${port}`);
  return `http://127.0.0.1:${port}`;
}

interface AdminCredentials {
  readonly username: string;
  readonly passwordFile: string;
}

/**
 * The Callback APIs' admin credentials (ADR 0105), which the console uses for every call: a new
 * password each run, in a file for the local processes and in the Secret a real pod mounts.
 */
function adminCredentials(
  kubectl: ReturnType<typeof kubectlRunner>,
  logDir: string,
): AdminCredentials {
  const username = "demo-admin";
  const password = randomBytes(18).toString("base64url");
  const passwordFile = path.join(logDir, "admin-password");
  writeFileSync(passwordFile, password, { mode: 0o600 });
  kubectl(
    ["apply", "--server-side", "-f", "-"],
    kubectl([
      "create",
      "secret",
      "generic",
      adminSecretName,
      "-n",
      namespace,
      `--from-literal=username=${username}`,
      `--from-literal=password=${password}`,
      "--dry-run=client",
      "-o",
      "yaml",
    ]),
  );
  return { username, passwordFile };
}

/** Runs `callback-operator console hash-password` with the password on stdin; returns its line. */
function hashPassword(password: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, "bin/callback-operator.js"), "console", "hash-password"],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stdin.end(password);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(output.trim());
      else reject(new Error(`console hash-password exited with ${String(code)}`));
    });
  });
}

/**
 * The console as a local process: the services come from the cluster, the example's Callback API
 * from `apiBase`. A demo user (a new password each run) is made Administrator of the example by a
 * ConsolePermission; only the example, since the other examples' Callback APIs do not run here.
 */
async function startConsole(
  c: Cluster,
  logDir: string,
  children: ChildProcess[],
  upstream: { readonly admin: AdminCredentials; readonly apiBase: string },
): Promise<{ url: string; username: string; password: string }> {
  const kubectl = kubectlRunner(c);
  const { admin, apiBase } = upstream;
  const username = "demo";
  const password = randomBytes(9).toString("base64url");
  const usersDir = path.join(logDir, "console-users");
  rmSync(usersDir, { recursive: true, force: true });
  mkdirSync(usersDir, { recursive: true });
  writeFileSync(path.join(usersDir, username), `${await hashPassword(password)}\n`, {
    mode: 0o600,
  });
  kubectl(
    ["apply", "--server-side", "--field-manager=callback-operator-demo", "-f", "-"],
    JSON.stringify({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "ConsolePermission",
      metadata: { name: "callback-demo" },
      spec: {
        subjects: [{ kind: "User", name: username }],
        role: "Administrator",
        services: [exampleService],
        namespaces: [namespace],
      },
    }),
  );
  const port = await freePort();
  say(`Starting the console on 127.0.0.1:${String(port)} (log: .cluster/demo/console.log)`);
  const server = startProcess(
    "console",
    [
      "console",
      `--kubeconfig=${c.kubeconfig}`,
      "--host=127.0.0.1",
      `--port=${String(port)}`,
      `--namespaces=${namespace}`,
      `--callback-api-urls=${namespace}/${exampleService}=${apiBase}`,
      `--admin-username=${admin.username}`,
      `--admin-password-file=${admin.passwordFile}`,
      `--local-users-dir=${usersDir}`,
    ],
    logDir,
  );
  children.push(server);
  const url = `http://127.0.0.1:${String(port)}`;
  await waitHttp(`${url}/readyz`, server, "The console");
  return { url: `${url}/`, username, password };
}
