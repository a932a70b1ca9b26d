// The console when a Callback API fails it (issue 18): an unreachable service is named in a 503
// and in its row of the services view, never dropped from a listing; admin credentials the
// Callback APIs refuse are named in a 502; the admin password file is re-read on each call.
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { groupLabelKey } from "../../src/api/group.ts";
import { ADMIN } from "../callback-api/support/app.ts";
import { createNamespace, installCrds, kubeconfigPath, kubectl } from "../support/cluster.ts";
import {
  ConsoleClient,
  consoleFiles,
  startCallbackApis,
  startConsole,
  type CallbackApis,
  type ConsoleProcess,
} from "../support/console.ts";
import { waitFor } from "../support/wait.ts";

const window = "from=2030-03-04T00:00:00.000Z&to=2030-03-06T00:00:00.000Z";
let ns: string;
let apis: CallbackApis;
let server: ConsoleProcess;
let adminPasswordFile: string;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

beforeAll(async () => {
  installCrds();
  ns = createNamespace("console-upstream");
  apis = await startCallbackApis({ support: "a" });
  for (const name of ["support", "billing"]) {
    kubectl(["apply", "--server-side", "-n", ns, "-f", "-"], {
      input: stringify({
        apiVersion: "callback-operator.io/v1alpha1",
        kind: "CallbackService",
        metadata: { name, labels: { [groupLabelKey("a")]: "true" } },
        spec: { scenario: "User-Terminated-Scheduled" },
      }),
    });
  }
  kubectl(["apply", "--server-side", "-f", "-"], {
    input: stringify({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "ConsolePermission",
      metadata: { name: `${ns}-sam` },
      spec: {
        subjects: [{ kind: "User", name: "sam" }],
        role: "Supervisor",
        services: ["a"],
        namespaces: [ns],
      },
    }),
  });
  const files = await consoleFiles({ sam: "sam-pw" });
  adminPasswordFile = files.adminPasswordFile;
  server = await startConsole([
    "--kubeconfig",
    kubeconfigPath(),
    "--namespaces",
    ns,
    "--callback-api-urls",
    `${ns}/support=${apis.apps.get("support")?.url ?? ""},${ns}/billing=http://127.0.0.1:${await closedPort()}`,
    "--admin-username",
    ADMIN.username,
    "--admin-password-file",
    adminPasswordFile,
    "--local-users-dir",
    files.usersDir,
    "--upstream-timeout",
    "2s",
  ]);
  await waitFor(
    async () => (await fetch(`${server.base}/readyz`)).status === 200,
    30_000,
    "the console to be ready",
  );
});

afterAll(async () => {
  await server.stop();
  await apis.close();
  kubectl(["delete", "consolepermission", `${ns}-sam`, "--ignore-not-found"]);
  kubectl(["delete", "namespace", ns, "--wait=false"]);
});

it("names an unreachable Callback API instead of leaving its service out", async () => {
  const sam = new ConsoleClient(server.base);
  expect((await sam.signIn("sam", "sam-pw")).status).toBe(200);
  const services = await sam.json<{
    services: { name: string; ready: boolean; problem?: string }[];
  }>("/api/services");
  expect(services.status).toBe(200);
  const billing = services.body.services.find((s) => s.name === "billing");
  expect(billing?.ready).toBe(false);
  expect(billing?.problem).toContain(`${ns}/billing`);
  expect(services.body.services.find((s) => s.name === "support")?.problem).toBeUndefined();

  for (const query of [`service=${ns}/billing`, ""]) {
    const response = await sam.fetch(`/api/callbacks?${window}&${query}`);
    expect(response.status).toBe(503);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe("upstream");
    expect(answer.message).toContain(`${ns}/billing`);
  }
  expect((await sam.fetch(`/api/callbacks?${window}&service=${ns}/support`)).status).toBe(200);
});

it("names the service whose Callback API refuses the admin credentials, and re-reads the password file", async () => {
  const sam = new ConsoleClient(server.base);
  expect((await sam.signIn("sam", "sam-pw")).status).toBe(200);
  await writeFile(adminPasswordFile, "not-the-admin-password\n");
  const refused = await sam.fetch(`/api/callbacks?${window}&service=${ns}/support`);
  expect(refused.status).toBe(502);
  const answer = (await refused.json()) as { error: string; message: string };
  expect(answer.error).toBe("upstream");
  expect(answer.message).toContain(`${ns}/support`);
  await writeFile(adminPasswordFile, `${ADMIN.password}\n`);
  expect((await sam.fetch(`/api/callbacks?${window}&service=${ns}/support`)).status).toBe(200);
});
