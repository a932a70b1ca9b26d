// Single sign-on end to end: `callback-operator console` as a real process, watching the test
// plane's real kube-apiserver, signs people in at a real OpenID provider (oidc-provider on
// loopback); a ConsolePermission bound to a Group of the provider's groups claim decides what
// they see. The flow's refusals (state, replayed code, returnTo) are tested in-process beside the
// source (src/console/oidc.test.ts); here the same routes run in the shipped command.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../src/control-plane/ports.ts";
import { startConsole, type ConsoleProcess } from "../support/console.ts";
import { waitOk } from "../support/operator-process.ts";
import {
  createNamespace,
  installCrds,
  kubeconfigPath,
  kubectl,
  uniqueName,
} from "../support/cluster.ts";
import {
  signInAtProvider,
  startTestProvider,
  type TestProvider,
} from "../support/oidc-provider.ts";

let provider: TestProvider;
let consoleProcess: ConsoleProcess;
let origin: string;
let dir: string;
let namespace: string;
const permissionName = uniqueName("oidc-support");

beforeAll(async () => {
  installCrds();
  namespace = createNamespace("console-oidc");
  // The group label is the operator's (`_service_groups: support`); written here, no operator runs.
  kubectl(["apply", "--server-side", "-n", namespace, "-f", "-"], {
    input: `apiVersion: callback-operator.io/v1alpha1
kind: CallbackService
metadata:
  name: callback-support
  labels: { group.callback-operator.io/support: "true" }
spec:
  template: callback
  scenario: User-Terminated-Delayed
  options: { _service_groups: support }
---
apiVersion: callback-operator.io/v1alpha1
kind: CallbackService
metadata:
  name: callback-sales
spec:
  template: callback
  scenario: User-Terminated-Delayed
`,
  });
  kubectl(["apply", "--server-side", "-f", "-"], {
    input: `apiVersion: callback-operator.io/v1alpha1
kind: ConsolePermission
metadata: { name: ${permissionName} }
spec:
  subjects: [{ kind: Group, name: support-supervisors }]
  role: Supervisor
  services: [support]
  namespaces: [${namespace}]
`,
  });

  const port = await freePort();
  const nowhere = `http://127.0.0.1:${String(await freePort())}`;
  origin = `http://127.0.0.1:${String(port)}`;
  provider = await startTestProvider({
    redirectUri: `${origin}/auth/oidc/callback`,
    users: { alice: { groups: ["support-supervisors", "other"] }, bob: { groups: "sales" } },
  });
  dir = await mkdtemp(path.join(tmpdir(), "console-oidc-"));
  await writeFile(path.join(dir, "client-secret"), provider.clientSecret);
  await writeFile(path.join(dir, "session-key"), "k".repeat(48));
  consoleProcess = await startConsole([
    `--kubeconfig=${kubeconfigPath()}`,
    `--port=${String(port)}`, // after startConsole's --port 0: the last one counts
    `--namespaces=${namespace}`,
    // No Callback API runs: the services are listed from the cluster, their counts fail apart.
    `--callback-api-urls=${namespace}/callback-support=${nowhere},${namespace}/callback-sales=${nowhere}`,
    `--external-url=${origin}`,
    `--session-key-file=${path.join(dir, "session-key")}`,
    `--oidc-issuer=${provider.issuer}`,
    `--oidc-client-id=${provider.clientId}`,
    `--oidc-client-secret-file=${path.join(dir, "client-secret")}`,
  ]);
  await waitOk(`${origin}/readyz`);
});

afterAll(async () => {
  await consoleProcess.stop();
  await provider.close();
  await rm(dir, { recursive: true, force: true });
  kubectl(["delete", "consolepermission", permissionName, "--ignore-not-found"]);
});

/** Signs in at the provider through the console; returns the session cookie and where it led. */
async function signIn(
  login: string,
  returnTo: string,
): Promise<{ cookie: string; location: string }> {
  const start = await fetch(`${origin}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`, {
    redirect: "manual",
  });
  expect(start.status).toBe(302);
  const stateCookie = start.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  expect(stateCookie).toMatch(/^cbo_oidc=./);
  const back = await signInAtProvider(start.headers.get("location") ?? "", login);
  expect(back.origin).toBe(origin);
  const done = await fetch(back, { redirect: "manual", headers: { cookie: stateCookie } });
  expect(done.status).toBe(302);
  const session = done.headers.getSetCookie().find((cookie) => cookie.startsWith("cbo_session="));
  return { cookie: session?.split(";")[0] ?? "", location: done.headers.get("location") ?? "" };
}

async function getJson(url: string, cookie: string): Promise<unknown> {
  const response = await fetch(`${origin}${url}`, { headers: { cookie } });
  expect(response.status).toBe(200);
  return response.json();
}

it("signs in with the user name and groups of the claims, and a Group's ConsolePermission applies", async () => {
  expect(await getJson("/api/sign-in-methods", "")).toEqual({ local: false, oidc: true });
  const alice = await signIn("alice", "/?view=callbacks");
  expect(alice.location).toBe("/?view=callbacks");
  expect(await getJson("/api/session", alice.cookie)).toMatchObject({
    username: "alice",
    groups: ["support-supervisors", "other"],
    via: "oidc",
  });
  await expect
    .poll(async () => {
      const { services } = (await getJson("/api/services", alice.cookie)) as {
        services: { namespace: string; name: string; role: string }[];
      };
      return services.map(({ namespace: ns, name, role }) => ({ ns, name, role }));
    })
    .toEqual([{ ns: namespace, name: "callback-support", role: "Supervisor" }]);
});

it("gives a person none of whose groups a permission names no service", async () => {
  const bob = await signIn("bob", "/");
  expect(await getJson("/api/session", bob.cookie)).toMatchObject({
    username: "bob",
    groups: ["sales"],
    via: "oidc",
  });
  expect(await getJson("/api/services", bob.cookie)).toMatchObject({ services: [] });
});

it("never returns to another origin after sign-in", async () => {
  for (const returnTo of ["https://evil.example/", "//evil.example"]) {
    expect((await signIn("alice", returnTo)).location).toBe("/");
  }
});

it("starts while the issuer does not answer, and /readyz says why", async () => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${String(await freePort())}`;
  const late = await startConsole([
    `--kubeconfig=${kubeconfigPath()}`,
    `--port=${String(port)}`,
    `--namespaces=${namespace}`,
    `--external-url=http://127.0.0.1:${String(port)}`,
    `--oidc-issuer=${issuer}`,
    "--oidc-client-id=callback-console",
    `--oidc-client-secret-file=${path.join(dir, "client-secret")}`,
  ]);
  try {
    await expect
      .poll(async () => {
        const readyz = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
        return `${String(readyz.status)} ${await readyz.text()}`;
      })
      .toContain("did not answer discovery");
    const readyz = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toContain(`${issuer}/ did not answer discovery`);
    expect((await fetch(`http://127.0.0.1:${String(port)}/healthz`)).status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${String(port)}/auth/oidc/login`, {
      redirect: "manual",
    });
    expect(login.status).toBe(503);
  } finally {
    await late.stop();
  }
});

it("refuses to start without its client secret, naming the flag", async () => {
  const missing = path.join(dir, "no-such-secret");
  await expect(
    startConsole([
      "--external-url=http://127.0.0.1:1",
      `--oidc-issuer=${provider.issuer}`,
      "--oidc-client-id=callback-console",
      `--oidc-client-secret-file=${missing}`,
    ]),
  ).rejects.toThrow(`--oidc-client-secret-file ${missing}`);
});
