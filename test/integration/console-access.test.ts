// The console against the real kube-apiserver and real Callback APIs (issue 18): what each role
// sees and may do, a supervisor of group A trying group B's callbacks with crafted requests, CSRF,
// ConsolePermission changes without restart, and the audit's Events on the CallbackService.
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupLabelKey } from "../../src/api/group.ts";
import {
  createNamespace,
  installCrds,
  kubeconfigPath,
  kubectl,
  kubectlJson,
} from "../support/cluster.ts";
import {
  ConsoleClient,
  consoleFiles,
  startCallbackApis,
  startConsole,
  type CallbackApis,
  type ConsoleProcess,
} from "../support/console.ts";
import { waitFor } from "../support/wait.ts";

const poll = { timeout: 30_000, interval: 250 };
const users = { alice: "alice-pw", sam: "sam-pw", rita: "rita-pw", nobody: "nobody-pw" };
// The Callback APIs run on a manual clock at START (2030-03-04T10:00Z): the listings ask that day.
const window = "from=2030-03-04T00:00:00.000Z&to=2030-03-06T00:00:00.000Z";
let ns: string;
let apis: CallbackApis;
let consoleProcess: ConsoleProcess;
const permissionNames: string[] = [];

function applyPermission(name: string, spec: Record<string, unknown>): void {
  kubectl(["apply", "--server-side", "--field-manager=console-test", "-f", "-"], {
    input: stringify({
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "ConsolePermission",
      metadata: { name },
      spec: { namespaces: [ns], ...spec },
    }),
  });
  if (!permissionNames.includes(name)) permissionNames.push(name);
}

async function startCallback(
  service: string,
  desiredTime = "2030-03-04T12:00:00.000Z",
): Promise<string> {
  const app = apis.apps.get(service);
  if (app === undefined) throw new Error(`no app ${service}`);
  const response = await fetch(`${app.url}/genesys/1/service/callback/${service}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ _customer_number: "5115", _desired_time: desiredTime, order: "A-17" }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { _id: string })._id;
}

/** The record as its own Callback API holds it: what the console changed, or did not. */
async function stateOf(service: string, id: string): Promise<string | undefined> {
  const app = apis.apps.get(service);
  if (app === undefined) throw new Error(`no app ${service}`);
  const records = (await (
    await fetch(`${app.url}/genesys/1/service/callback/${service}?_id=${id}`)
  ).json()) as { _callback_state: string; _callback_reason?: string }[];
  const record = records[0];
  return record === undefined
    ? undefined
    : `${record._callback_state}/${record._callback_reason ?? ""}`;
}

async function signedIn(name: keyof typeof users): Promise<ConsoleClient> {
  const client = new ConsoleClient(consoleProcess.base);
  const response = await client.signIn(name, users[name]);
  expect(response.status).toBe(200);
  return client;
}

interface ServicesAnswer {
  services: {
    columns: { key: string; label: string }[];
    namespace: string;
    name: string;
    role: string;
    actions: string[];
    groups: string[];
    counts: Record<string, number>;
  }[];
  groups: string[];
}

beforeAll(async () => {
  installCrds();
  ns = createNamespace("console");
  apis = await startCallbackApis({ support: "a", sales: "b" });
  for (const [name, group] of [
    ["support", "a"],
    ["sales", "b"],
  ] as const) {
    kubectl(["apply", "--server-side", "-n", ns, "-f", "-"], {
      input: stringify({
        apiVersion: "callback-operator.io/v1alpha1",
        kind: "CallbackService",
        metadata: { name, labels: { [groupLabelKey(group)]: "true" } },
        spec: {
          scenario: "User-Terminated-Scheduled",
          // The custom key's column label (GMS callback_column_alias) on one of the two.
          ...(name === "support"
            ? { options: { callback_column_alias: '{"order":"Order number"}' } }
            : {}),
        },
      }),
    });
  }
  applyPermission(`${ns}-alice`, {
    subjects: [{ kind: "User", name: "alice" }],
    role: "Administrator",
  });
  applyPermission(`${ns}-sam`, {
    subjects: [{ kind: "User", name: "sam" }],
    role: "Supervisor",
    services: ["a"],
  });
  applyPermission(`${ns}-rita`, {
    subjects: [{ kind: "User", name: "rita" }],
    role: "CallbackReadOnly",
  });
  const files = await consoleFiles(users);
  consoleProcess = await startConsole([
    "--kubeconfig",
    kubeconfigPath(),
    "--namespaces",
    ns,
    "--callback-api-urls",
    [...apis.apps].map(([name, app]) => `${ns}/${name}=${app.url}`).join(","),
    "--admin-username",
    "admin",
    "--admin-password-file",
    files.adminPasswordFile,
    "--local-users-dir",
    files.usersDir,
    "--session-key-file",
    files.sessionKeyFile,
  ]);
  await waitFor(
    async () => (await fetch(`${consoleProcess.base}/readyz`)).status === 200,
    30_000,
    "the console to list CallbackServices and ConsolePermissions",
  );
});

afterAll(async () => {
  await consoleProcess.stop();
  await apis.close();
  for (const name of permissionNames)
    kubectl(["delete", "consolepermission", name, "--ignore-not-found"]);
  kubectl(["delete", "namespace", ns, "--wait=false"]);
});

describe("per role", () => {
  it("an Administrator sees every service, acts on them and reads the audit log", async () => {
    const alice = await signedIn("alice");
    const id = await startCallback("sales");
    await expect
      .poll(
        async () =>
          (await alice.json<ServicesAnswer>("/api/services")).body.services.map((s) => s.name),
        poll,
      )
      .toEqual(["sales", "support"]);
    const { body } = await alice.json<ServicesAnswer>("/api/services");
    expect(body.services.map((s) => [s.role, s.groups])).toEqual([
      ["Administrator", ["b"]],
      ["Administrator", ["a"]],
    ]);
    expect(body.groups).toEqual(["a", "b"]);
    expect(body.services[0]?.counts["SCHEDULED"]).toBeGreaterThanOrEqual(1);

    const cancel = await alice.post(`/api/callbacks/${ns}/sales/${id}/cancel`, {});
    expect(await cancel.json()).toEqual({ result: "cancelled" });
    expect(await stateOf("sales", id)).toBe("COMPLETED/CANCELLED_BY_ADMIN");
    const again = await alice.post(`/api/callbacks/${ns}/sales/${id}/cancel`, {});
    expect(await again.json()).toEqual({ result: "already_completed" });

    const audit = await alice.json<{
      entries: { user: string; action: string; service: string; ids: string[] }[];
    }>("/api/audit");
    expect(audit.status).toBe(200);
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        user: "alice",
        action: "cancel",
        service: `${ns}/sales`,
        ids: [id],
      }),
    );
  });

  it("a Supervisor limited to group a sees only its service, cancels, reschedules to a slot and exports", async () => {
    const sam = await signedIn("sam");
    const { body } = await sam.json<ServicesAnswer>("/api/services");
    expect(body.services.map((s) => [s.namespace, s.name, s.role, s.actions])).toEqual([
      [ns, "support", "Supervisor", ["view", "cancel", "reschedule", "export"]],
    ]);
    expect(body.groups).toEqual(["a"]);
    expect(body.services[0]?.columns).toEqual([{ key: "order", label: "Order number" }]);

    const first = await startCallback("support");
    const second = await startCallback("support");
    const list = await sam.json<{
      items: { service: string; id: string; state: string; custom: Record<string, string> }[];
      total: number;
      columns: { key: string }[];
    }>(`/api/callbacks?${window}&state=SCHEDULED&sort=desiredTime&order=asc`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((item) => item.id)).toEqual(expect.arrayContaining([first, second]));
    expect(new Set(list.body.items.map((item) => item.service))).toEqual(
      new Set([`${ns}/support`]),
    );
    expect(list.body.items[0]?.custom).toEqual({ order: "A-17" });
    expect(list.body.columns).toEqual([{ key: "order", label: "Order number" }]);

    const details = await sam.json<{ id: string; record: Record<string, string> }>(
      `/api/callbacks/${ns}/support/${first}`,
    );
    expect(details.body.record["_service_name"]).toBe("support");

    const slots = await sam.json<{ slots: string[] }>(
      `/api/callbacks/${ns}/support/${first}/slots?date=2030-03-04`,
    );
    expect(slots.status).toBe(200);
    const slot = slots.body.slots.find((time) => time !== "2030-03-04T12:00:00.000Z");
    expect(slot).toBeDefined();
    const notASlot = await sam.post(`/api/callbacks/${ns}/support/${first}/reschedule`, {
      desiredTime: "2030-03-04T12:07:00.000Z",
    });
    expect(notASlot.status).toBe(400);
    expect(((await notASlot.json()) as { message: string }).message).toContain("desiredTime");
    const moved = await sam.post(`/api/callbacks/${ns}/support/${first}/reschedule`, {
      desiredTime: slot,
    });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { desiredTime: string }).desiredTime).toBe(slot);

    const csv = await sam.fetch(`/api/callbacks.csv?${window}&service=${ns}/support`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe(
      "State,Desired Callback Time,Phone Number,Service Name,Reason,Callback ID,Order number",
    );
    expect(text).toContain(second);

    const bulk = await sam.post("/api/callbacks/cancel", {
      items: [
        { service: `${ns}/support`, id: first },
        { service: `${ns}/support`, id: second },
      ],
    });
    expect(bulk.status).toBe(200);
    expect(((await bulk.json()) as { cancelled: unknown[] }).cancelled).toHaveLength(2);
    expect(await stateOf("support", second)).toBe("COMPLETED/CANCELLED_BY_ADMIN");
    expect((await sam.fetch("/api/audit")).status).toBe(403);
  });

  it("a CallbackReadOnly person views every service but cannot cancel, reschedule, bulk cancel or export", async () => {
    const rita = await signedIn("rita");
    const id = await startCallback("support");
    const { body } = await rita.json<ServicesAnswer>("/api/services");
    expect(body.services.map((s) => [s.name, s.role, s.actions])).toEqual([
      ["sales", "CallbackReadOnly", ["view"]],
      ["support", "CallbackReadOnly", ["view"]],
    ]);
    expect((await rita.json(`/api/callbacks/${ns}/support/${id}`)).status).toBe(200);
    const refused = [
      await rita.post(`/api/callbacks/${ns}/support/${id}/cancel`, {}),
      await rita.post(`/api/callbacks/${ns}/support/${id}/reschedule`, {
        desiredTime: "2030-03-04T13:00:00.000Z",
      }),
      await rita.post("/api/callbacks/cancel", { items: [{ service: `${ns}/support`, id }] }),
      await rita.fetch(`/api/callbacks.csv?${window}`),
      await rita.fetch(`/api/callbacks.csv?${window}&service=${ns}/support`),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await stateOf("support", id)).toBe("SCHEDULED/");
  });

  it("a person without a permission signs in and sees no service", async () => {
    const nobody = await signedIn("nobody");
    expect((await nobody.json<ServicesAnswer>("/api/services")).body).toEqual({
      services: [],
      groups: [],
    });
    expect((await nobody.fetch(`/api/callbacks?${window}&service=${ns}/support`)).status).toBe(403);
  });
});

describe("a supervisor of group a against group b's callbacks", () => {
  it("is refused every crafted request and nothing changes", async () => {
    const sam = await signedIn("sam");
    const own = await startCallback("support");
    const foreign = await startCallback("sales");
    const refusals = {
      list: await sam.fetch(`/api/callbacks?${window}&service=${ns}/sales`),
      listBoth: await sam.fetch(
        `/api/callbacks?${window}&service=${ns}/support&service=${ns}/sales`,
      ),
      details: await sam.fetch(`/api/callbacks/${ns}/sales/${foreign}`),
      slots: await sam.fetch(`/api/callbacks/${ns}/sales/${foreign}/slots?date=2030-03-04`),
      cancel: await sam.post(`/api/callbacks/${ns}/sales/${foreign}/cancel`, {}),
      reschedule: await sam.post(`/api/callbacks/${ns}/sales/${foreign}/reschedule`, {
        desiredTime: "2030-03-04T13:00:00.000Z",
      }),
      bulk: await sam.post("/api/callbacks/cancel", {
        items: [
          { service: `${ns}/support`, id: own },
          { service: `${ns}/sales`, id: foreign },
        ],
      }),
      export: await sam.fetch(`/api/callbacks.csv?${window}&service=${ns}/sales`),
    };
    for (const [what, response] of Object.entries(refusals)) {
      expect([what, response.status]).toEqual([what, 403]);
      expect(((await response.json()) as { message: string }).message).toContain(`${ns}/sales`);
    }
    // A group-b id under the group-a service's path: that service has no such callback.
    const underOwnPath = {
      details: await sam.fetch(`/api/callbacks/${ns}/support/${foreign}`),
      cancel: await sam.post(`/api/callbacks/${ns}/support/${foreign}/cancel`, {}),
      reschedule: await sam.post(`/api/callbacks/${ns}/support/${foreign}/reschedule`, {
        desiredTime: "2030-03-04T13:00:00.000Z",
      }),
    };
    for (const [what, response] of Object.entries(underOwnPath))
      expect([what, response.status]).toEqual([what, 404]);
    const bulkUnderOwn = await sam.post("/api/callbacks/cancel", {
      items: [{ service: `${ns}/support`, id: foreign }],
    });
    expect(((await bulkUnderOwn.json()) as { not_found: unknown[] }).not_found).toEqual([
      { service: `${ns}/support`, id: foreign },
    ]);
    // The listing of the own service never holds the other's records, though the database is shared.
    const list = await sam.json<{ items: { id: string }[] }>(`/api/callbacks?${window}`);
    expect(list.body.items.map((item) => item.id)).not.toContain(foreign);

    expect(await stateOf("sales", foreign)).toBe("SCHEDULED/");
    expect(await stateOf("support", own)).toBe("SCHEDULED/");
  });
});

describe("CSRF", () => {
  it("refuses a POST without the token, with another session's, or from a foreign Origin", async () => {
    const sam = await signedIn("sam");
    const other = await signedIn("alice");
    const id = await startCallback("support");
    const path = `/api/callbacks/${ns}/support/${id}/cancel`;
    const attempts = [
      await sam.post(path, {}, {}),
      await sam.post(path, {}, { "x-csrf-token": other.csrfToken }),
      await sam.post(path, {}, { "x-csrf-token": sam.csrfToken, origin: "https://evil.example" }),
      await sam.post(path, {}, { "x-csrf-token": sam.csrfToken, "sec-fetch-site": "cross-site" }),
      await sam.post("/api/callbacks/cancel", { items: [{ service: `${ns}/support`, id }] }, {}),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe("csrf");
    }
    expect(await stateOf("support", id)).toBe("SCHEDULED/");
    // The sign-in form needs its own token too.
    const anonymous = new ConsoleClient(consoleProcess.base);
    const login = await anonymous.post("/auth/login", { username: "sam", password: users.sam }, {});
    expect(login.status).toBe(403);
    // The same request with the token and the console's own Origin goes through.
    const ok = await sam.post(
      path,
      {},
      { "x-csrf-token": sam.csrfToken, origin: consoleProcess.base },
    );
    expect(await ok.json()).toEqual({ result: "cancelled" });
  });
});

describe("permissions from the cluster", () => {
  it("apply a ConsolePermission change without a restart", async () => {
    const rita = await signedIn("rita");
    applyPermission(`${ns}-rita`, {
      subjects: [{ kind: "User", name: "rita" }],
      role: "Supervisor",
      services: ["sales"],
    });
    await expect
      .poll(
        async () =>
          (await rita.json<ServicesAnswer>("/api/services")).body.services.map((s) => [
            s.name,
            s.role,
          ]),
        poll,
      )
      .toEqual([["sales", "Supervisor"]]);
    kubectl(["delete", "consolepermission", `${ns}-rita`]);
    await expect
      .poll(async () => (await rita.json<ServicesAnswer>("/api/services")).body.services, poll)
      .toEqual([]);
  });

  it("apply a change of a service's group labels without a restart", async () => {
    const sam = await signedIn("sam");
    const names = async () =>
      (await sam.json<ServicesAnswer>("/api/services")).body.services.map((s) => s.name);
    expect(await names()).toEqual(["support"]);
    kubectl(["label", "-n", ns, "callbackservice", "sales", `${groupLabelKey("a")}=true`]);
    await expect.poll(names, poll).toEqual(["sales", "support"]);
    kubectl(["label", "-n", ns, "callbackservice", "sales", `${groupLabelKey("a")}-`]);
    await expect.poll(names, poll).toEqual(["support"]);
  });

  it("records the actions as Events on the CallbackService", () => {
    const events = kubectlJson<{
      items: {
        reason: string;
        message: string;
        reportingComponent: string;
        involvedObject: { name: string; kind: string };
      }[];
    }>(["get", "events", "-n", ns]).items;
    const on = (name: string) =>
      events.filter(
        (event) =>
          event.involvedObject.name === name && event.involvedObject.kind === "CallbackService",
      );
    expect(new Set(on("support").map((event) => event.reason))).toEqual(
      new Set([
        "CallbackCancelled",
        "CallbackRescheduled",
        "CallbacksCancelled",
        "CallbacksExported",
      ]),
    );
    expect(on("sales").map((event) => event.reason)).toContain("CallbackCancelled");
    expect(
      on("support").every((event) => event.reportingComponent === "callback-operator.io/console"),
    ).toBe(true);
    expect(on("sales").find((e) => e.reason === "CallbackCancelled")?.message).toMatch(
      /^User alice cancelled callback \S+/,
    );
  });
});
