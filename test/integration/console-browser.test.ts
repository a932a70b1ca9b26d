// The console's page in real Chromium (Debian's, driven by playwright-core: docs/adr/0133), against
// the real console process, CallbackServices and ConsolePermissions in the test plane (the operator
// writes their group labels) and real Callback APIs on loopback holding fixed callbacks. For each
// role and for a person limited to one group: what the page shows and which actions succeed.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN } from "../callback-api/support/app.ts";
import { stopServer, type ServerProcess } from "../callback-api/support/server-process.ts";
import { installCrds, kubeconfigPath, kubectl, tryKubectl } from "../support/cluster.ts";
import {
  consoleFiles,
  launchChromium,
  startAdminCallbackApi,
  startConsole,
  type ConsoleProcess,
} from "../support/console.ts";
import { startOperator, type RunningOperator } from "../support/operator.ts";
import { waitFor } from "../support/wait.ts";

const repoRoot = path.join(import.meta.dirname, "../..");
const AXE = path.join(repoRoot, "node_modules/axe-core/axe.min.js");
// A fixed namespace and fixed dates: the screenshots in docs/ come out the same on every run.
const NAMESPACE = "contact-centre";
const DAY = "2030-03-04";
const WINDOW = { from: `${DAY}T00:00`, to: "2030-03-05T00:00" };
const PASSWORD = "correct horse battery staple";
const poll = { timeout: 30_000, interval: 250 };

const USERS = {
  administrator: "ada.admin",
  supervisor: "sam.supervisor",
  readOnly: "rita.readonly",
  goldSupervisor: "gail.gold",
  nobody: "nora.none",
} as const;

const PERMISSIONS = [
  "browser-administrator",
  "browser-supervisor",
  "browser-read-only",
  "browser-gold",
] as const;

interface Seed {
  readonly service: "support" | "sales";
  readonly number: string;
  readonly time: string;
  readonly order: string;
}

const SEEDS: readonly Seed[] = [
  { service: "support", number: "+16505550101", time: "09:00", order: "A-1001" },
  { service: "support", number: "+16505550102", time: "09:30", order: "A-1002" },
  { service: "support", number: "+16505550103", time: "10:00", order: "A-1003" },
  { service: "support", number: "+16505550104", time: "10:30", order: "A-1004" },
  { service: "sales", number: "+16505550201", time: "09:15", order: "B-2001" },
  { service: "sales", number: "+16505550202", time: "11:45", order: "B-2002" },
  { service: "support", number: "+16505550105", time: "12:00", order: "A-1005" },
  { service: "sales", number: "+16505550203", time: "12:30", order: "B-2003" },
  { service: "support", number: "+16505550106", time: "13:15", order: "A-1006" },
  { service: "sales", number: "+16505550204", time: "14:00", order: "B-2004" },
  { service: "support", number: "+16505550107", time: "14:45", order: "A-1007" },
  { service: "support", number: "+16505550108", time: "15:30", order: "A-1008" },
];
const FOUND = `${SEEDS.length} callback(s) found`;
const inSupport = SEEDS.filter((seed) => seed.service === "support").length;

let operator: RunningOperator | undefined;
const apis = new Map<string, ServerProcess>();
let consoleProcess: ConsoleProcess | undefined;
let base = "";
let browser: Browser | undefined;
/** Callback id by customer number. */
const ids = new Map<string, string>();

function callbackService(name: string, group: string): string {
  return JSON.stringify({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      template: "callback",
      scenario: "User-Terminated-Delayed",
      options: {
        _service_groups: group,
        _target: "Support@StatServer.GA",
        _urs_virtual_queue: "VQ_Support",
        _route_point: "8999@SIP_Switch",
        callback_column_alias: JSON.stringify({ order_id: "Order" }),
      },
    },
  });
}

function permission(
  name: string,
  user: string,
  role: string,
  services: readonly string[] = [],
): string {
  return JSON.stringify({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "ConsolePermission",
    metadata: { name },
    spec: { subjects: [{ kind: "User", name: user }], role, services, namespaces: [NAMESPACE] },
  });
}

const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}`;

function startCallbackApi(name: string): Promise<ServerProcess> {
  return startAdminCallbackApi(name, {
    _service_groups: name === "support" ? "gold" : "silver",
    // The fixed day of the seeds lies years ahead.
    _reject_future_desired_time: "10y",
  });
}

function api(service: string): ServerProcess {
  const server = apis.get(service);
  if (server === undefined) throw new Error(`No Callback API for ${service}`);
  return server;
}

async function schedule(seed: Seed): Promise<void> {
  const answer = await fetch(
    `${api(seed.service).base}/genesys/1/service/callback/${seed.service}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: basic },
      body: JSON.stringify({
        _customer_number: seed.number,
        _desired_time: `${DAY}T${seed.time}:00.000Z`,
        order_id: seed.order,
      }),
    },
  );
  const body = (await answer.json()) as { _id?: string };
  expect(answer.status, JSON.stringify(body)).toBe(200);
  ids.set(seed.number, body._id ?? "");
}

/** The record as the service's own Callback API holds it (a query by id). */
async function record(number: string): Promise<Record<string, string>> {
  const seed = SEEDS.find((candidate) => candidate.number === number);
  const service = seed?.service ?? "support";
  const query = new URLSearchParams({ _id: ids.get(number) ?? "" });
  const answer = await fetch(
    `${api(service).base}/genesys/1/service/callback/${service}?${query.toString()}`,
    { headers: { Authorization: basic } },
  );
  expect(answer.status).toBe(200);
  const [found] = (await answer.json()) as Record<string, string>[];
  if (found === undefined) throw new Error(`Callback ${number} is not in ${service}.`);
  return found;
}

/** The console process, with the Callback APIs at their loopback addresses. */
async function startTheConsole(): Promise<void> {
  const overrides = ["support", "sales"]
    .map((name) => `${NAMESPACE}/${name}=${api(name).base}`)
    .join(",");
  const files = await consoleFiles(
    Object.fromEntries(Object.values(USERS).map((user) => [user, PASSWORD])),
  );
  consoleProcess = await startConsole([
    "--kubeconfig",
    kubeconfigPath(),
    "--namespaces",
    NAMESPACE,
    "--callback-api-urls",
    overrides,
    "--admin-username",
    ADMIN.username,
    "--admin-password-file",
    files.adminPasswordFile,
    "--local-users-dir",
    files.usersDir,
  ]);
  base = consoleProcess.base;
  await waitFor(async () => (await fetch(`${base}/readyz`)).ok, 60_000, "the console to be ready");
}

/** Violations of serious or critical impact axe-core finds in the page as it is now. */
async function accessibilityProblems(page: Page): Promise<unknown[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate<unknown[]>(`axe
    .run(document, { resultTypes: ["violations"] })
    .then((result) => result.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => node.target.join(" ")),
      })))`);
  if (violations.length > 0) console.log(JSON.stringify(violations, null, 2));
  return violations;
}

/**
 * A fresh browser context (its own cookies) at 1280×800 in UTC. `forAxe` lets axe-core's injected
 * script past the console's Content-Security-Policy, which allows only the page's own scripts.
 */
async function newPage(forAxe = false): Promise<{ context: BrowserContext; page: Page }> {
  if (browser === undefined) throw new Error("The browser did not start.");
  const context = await browser.newContext({
    bypassCSP: forAxe,
    baseURL: base,
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
  });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto("/");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect.poll(() => page.locator("#user-name").textContent(), poll).toBe(username);
}

/** The seeds' day in the filters, and the table reloaded. */
async function showSeedDay(page: Page): Promise<void> {
  await page.locator("#filter-from").fill(WINDOW.from);
  await page.locator("#filter-to").fill(WINDOW.to);
  await page.getByRole("button", { name: "Search" }).click();
}

const rows = (page: Page) => page.locator("table#callbacks tbody tr");
const row = (page: Page, number: string) => rows(page).filter({ hasText: number });
const serviceRows = (page: Page) => page.locator("#service-table tbody tr");

async function found(page: Page): Promise<string | null> {
  return page.locator("#found").textContent();
}

beforeAll(async () => {
  installCrds();
  operator = await startOperator("console-browser");
  if (tryKubectl(["get", "namespace", NAMESPACE]).status !== 0)
    kubectl(["create", "namespace", NAMESPACE]);
  kubectl(["apply", "--server-side", "-f", "-"], {
    input: [callbackService("support", "gold"), callbackService("sales", "silver")].join("\n"),
  });
  kubectl(["apply", "--server-side", "-f", "-"], {
    input: [
      permission(PERMISSIONS[0], USERS.administrator, "Administrator"),
      permission(PERMISSIONS[1], USERS.supervisor, "Supervisor"),
      permission(PERMISSIONS[2], USERS.readOnly, "CallbackReadOnly"),
      permission(PERMISSIONS[3], USERS.goldSupervisor, "Supervisor", ["gold"]),
    ].join("\n"),
  });
  // The group labels are the operator's: wait until it has written them.
  for (const group of ["gold", "silver"])
    await waitFor(
      () =>
        Promise.resolve(
          kubectl([
            "get",
            "callbackservices",
            "-n",
            NAMESPACE,
            "-l",
            `group.callback-operator.io/${group}`,
            "-o",
            "name",
          ]).trim() !== "",
        ),
      60_000,
      `the operator's label group.callback-operator.io/${group}`,
    );

  for (const name of ["support", "sales"]) apis.set(name, await startCallbackApi(name));
  for (const seed of SEEDS) await schedule(seed);

  await startTheConsole();
  browser = await launchChromium();
});

afterAll(async () => {
  // The browser first, whatever failed: a left-over Chromium outlives the run otherwise.
  await Promise.race([
    browser?.close(),
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ]).catch(() => undefined);
  await consoleProcess?.stop();
  for (const server of apis.values()) await stopServer(server);
  tryKubectl(["delete", "consolepermissions", ...PERMISSIONS, "--ignore-not-found"]);
  tryKubectl(["delete", "namespace", NAMESPACE, "--wait=false"]);
  await operator?.stop();
});

describe("the sign-in page", () => {
  it("has the form, no single sign-on link without OIDC, no serious accessibility problem, and says why a sign-in failed", async () => {
    const { context, page } = await newPage(true);
    try {
      await page.goto("/");
      await expect(page.title()).resolves.toBe("GMS Management UI — Callback");
      await expect.poll(() => page.locator("form#sign-in").isVisible(), poll).toBe(true);
      expect(
        await page.getByRole("link", { name: "Sign in with single sign-on" }).isVisible(),
      ).toBe(false);
      expect(await accessibilityProblems(page)).toEqual([]);

      await page.locator("#username").fill(USERS.supervisor);
      await page.locator("#password").fill("wrong password");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect.poll(() => page.locator("#error").textContent(), poll).toMatch(/\S/);
      expect(await page.locator("#console-view").isVisible()).toBe(false);

      // By keyboard alone: the fields in tab order, Enter submits.
      await page.locator("#password").fill("");
      await page.locator("#username").focus();
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.id")).toBe("password");
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press("Enter");
      await expect
        .poll(() => page.locator("#user-name").textContent(), poll)
        .toBe(USERS.supervisor);
    } finally {
      await context.close();
    }
  });
});

describe("a console without any sign-in method", () => {
  it("serves its sign-in page and says how to add a user", async () => {
    const bare = await startConsole(["--kubeconfig", kubeconfigPath(), "--namespaces", NAMESPACE]);
    const { context, page } = await newPage();
    try {
      await page.goto(bare.base);
      await expect.poll(() => page.locator("#no-sign-in").isVisible(), poll).toBe(true);
      expect(await page.locator("#no-sign-in").textContent()).toContain("hash-password");
    } finally {
      await context.close();
      await bare.stop();
    }
  });
});

describe("an Administrator", () => {
  it("sees every service with its groups and counts, every callback with its custom column, and every action", async () => {
    const { context, page } = await newPage(true);
    try {
      await signIn(page, USERS.administrator);
      await expect.poll(() => serviceRows(page).count(), poll).toBe(2);
      const support = serviceRows(page).filter({ hasText: "support" });
      expect(await support.textContent()).toContain("gold");
      expect(await support.textContent()).toContain(NAMESPACE);
      // SCHEDULED: the four support seeds.
      expect(await support.locator("td").nth(3).textContent()).toBe(String(inSupport));

      await page.locator("select#group-filter").selectOption("silver");
      await expect.poll(() => serviceRows(page).allTextContents(), poll).toHaveLength(1);
      expect(await serviceRows(page).first().textContent()).toContain("sales");
      await page.locator("select#group-filter").selectOption("");

      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);
      const headers = await page.locator("table#callbacks thead th").allTextContents();
      expect(headers.slice(1, 6).map((text) => text.replace(/[▲▼]/g, "").trim())).toEqual([
        "State",
        "Desired Callback Time",
        "Phone Number",
        "Service Name",
        "Reason",
      ]);
      expect(headers).toContain("Order");
      expect(await row(page, "+16505550101").textContent()).toContain("A-1001");
      for (const name of ["Cancel Callbacks", "Export CSV", "Refresh"])
        expect(await page.getByRole("button", { name, exact: true }).isVisible()).toBe(true);
      expect(await rows(page).getByRole("button", { name: "Cancel", exact: true }).count()).toBe(
        SEEDS.length,
      );
      expect(await rows(page).getByRole("button", { name: "Reschedule" }).count()).toBe(
        SEEDS.length,
      );
      expect(await accessibilityProblems(page)).toEqual([]);

      // The page is taller than 800 px: the services view at the top, then the table scrolled up.
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: path.join(repoRoot, "docs/console-services.png") });
      await page.evaluate(`document.getElementById("callbacks-heading").scrollIntoView()`);
      await page.screenshot({ path: path.join(repoRoot, "docs/console-callbacks.png") });
    } finally {
      await context.close();
    }
  });

  it("sorts by a clicked column, pages and opens a callback's details", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.administrator);
      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);
      const numbers = async (): Promise<string[]> =>
        (await rows(page).locator("td:nth-child(4)").allTextContents()).map((text) => text.trim());
      // Desired time ascending by default.
      const byTime = [...SEEDS].sort((a, b) => a.time.localeCompare(b.time));
      expect(await numbers()).toEqual(byTime.map((seed) => seed.number));
      expect(byTime[1]?.number).toBe("+16505550201"); // the services' callbacks interleave
      await page.getByRole("button", { name: /^Phone Number/ }).click();
      await expect.poll(numbers, poll).toEqual(SEEDS.map((seed) => seed.number).sort());
      await page.getByRole("button", { name: /^Phone Number/ }).click();
      await expect.poll(numbers, poll).toEqual(
        SEEDS.map((seed) => seed.number)
          .sort()
          .reverse(),
      );
      expect(await page.locator("th[aria-sort=descending]").textContent()).toContain(
        "Phone Number",
      );

      await row(page, "+16505550103").getByRole("button", { name: "Details" }).click();
      const details = page.locator("dialog#details");
      await expect.poll(() => details.isVisible(), poll).toBe(true);
      expect(await details.textContent()).toContain(ids.get("+16505550103"));
      expect(await details.textContent()).toContain("A-1003");
      await page.keyboard.press("Escape");
      await expect.poll(() => details.isVisible(), poll).toBe(false);
    } finally {
      await context.close();
    }
  });

  it("filters by phone number, group, service and state", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.administrator);
      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);
      await page.locator("#filter-number").fill("+16505550104");
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => found(page), poll).toBe("1 callback(s) found");
      expect(await rows(page).textContent()).toContain("A-1004");
      await page.locator("#filter-number").fill("");
      await page.locator("#filter-group").selectOption("silver");
      const sales = SEEDS.filter((seed) => seed.service === "sales").length;
      await expect.poll(() => found(page), poll).toBe(`${sales} callback(s) found`);
      await page.locator("#filter-group").selectOption("");
      await page.locator("#filter-service").selectOption(`${NAMESPACE}/support`);
      await expect.poll(() => found(page), poll).toBe(`${inSupport} callback(s) found`);
      await page.locator("#filter-state").selectOption("COMPLETED");
      await expect.poll(() => found(page), poll).toBe("0 callback(s) found");
      expect(await page.locator("#no-callbacks").isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});

describe("an Administrator's actions", () => {
  it("cancels a callback in the page", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.administrator);
      await showSeedDay(page);
      await row(page, "+16505550108").getByRole("button", { name: "Cancel", exact: true }).click();
      await page.getByRole("button", { name: "Cancel these callbacks" }).click();
      await expect.poll(() => page.locator("#status").textContent(), poll).toContain("Cancelled");
      expect((await record("+16505550108"))["_callback_state"]).toBe("COMPLETED");
    } finally {
      await context.close();
    }
  });
});

describe("a CallbackReadOnly person", () => {
  it("sees the services, callbacks and details but no action", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.readOnly);
      await expect.poll(() => serviceRows(page).count(), poll).toBe(2);
      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);
      expect(await page.getByRole("button", { name: "Cancel Callbacks" }).isVisible()).toBe(false);
      expect(await page.getByRole("button", { name: "Export CSV" }).isVisible()).toBe(false);
      expect(await rows(page).getByRole("button", { name: "Cancel", exact: true }).count()).toBe(0);
      expect(await rows(page).getByRole("button", { name: "Reschedule" }).count()).toBe(0);
      expect(await rows(page).locator("input[type=checkbox]:enabled").count()).toBe(0);
      await row(page, "+16505550201").getByRole("button", { name: "Details" }).click();
      await expect
        .poll(() => page.locator("dialog#details").textContent(), poll)
        .toContain(ids.get("+16505550201"));
      // What the page hides the API refuses: a crafted cancel changes nothing.
      const session = (await (await page.request.get("/api/session")).json()) as {
        csrfToken: string;
      };
      const crafted = await page.request.post(
        `/api/callbacks/${NAMESPACE}/sales/${ids.get("+16505550201") ?? ""}/cancel`,
        { headers: { "X-CSRF-Token": session.csrfToken } },
      );
      expect(crafted.status()).toBe(403);
      expect((await record("+16505550201"))["_callback_state"]).toBe("SCHEDULED");
    } finally {
      await context.close();
    }
  });
});

describe("a Supervisor", () => {
  it("cancels, reschedules to an offered slot, bulk cancels after confirming, and exports CSV", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.supervisor);
      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);

      // Cancel one row, confirmed in the dialog; the dialog opens on its safe choice and Escape
      // leaves the callback alone.
      const cancelFirst = row(page, "+16505550101").getByRole("button", {
        name: "Cancel",
        exact: true,
      });
      await cancelFirst.click();
      const confirm = page.locator("dialog#confirm-cancel");
      await expect.poll(() => confirm.textContent(), poll).toContain("+16505550101");
      expect(await page.evaluate("document.activeElement.id")).toBe("confirm-no");
      await page.keyboard.press("Escape");
      await expect.poll(() => confirm.isVisible(), poll).toBe(false);
      expect((await record("+16505550101"))["_callback_state"]).toBe("SCHEDULED");
      await cancelFirst.click();
      await confirm.getByRole("button", { name: "Cancel these callbacks" }).click();
      await expect.poll(() => row(page, "+16505550101").textContent(), poll).toContain("COMPLETED");
      expect(await record("+16505550101")).toMatchObject({
        _callback_state: "COMPLETED",
        _callback_reason: "CANCELLED_BY_ADMIN",
      });

      // Reschedule to the last slot the service offers that day.
      await row(page, "+16505550102").getByRole("button", { name: "Reschedule" }).click();
      const dialog = page.locator("dialog#reschedule");
      await expect.poll(() => dialog.locator("input[name=slot]").count(), poll).toBeGreaterThan(1);
      const slot = dialog.locator("input[name=slot]").last();
      const chosen = await slot.inputValue();
      await slot.check();
      await dialog.getByRole("button", { name: "Reschedule" }).click();
      await expect.poll(() => dialog.isVisible(), poll).toBe(false);
      expect(new Date((await record("+16505550102"))["_desired_time"] ?? "").toISOString()).toBe(
        new Date(chosen).toISOString(),
      );

      // Bulk cancel the two sales callbacks.
      for (const number of ["+16505550201", "+16505550202"])
        await row(page, number).getByRole("checkbox").check();
      await page.getByRole("button", { name: "Cancel Callbacks" }).click();
      await expect.poll(() => confirm.locator("li").count(), poll).toBe(2);
      await confirm.getByRole("button", { name: "Cancel these callbacks" }).click();
      await expect.poll(() => page.locator("#status").textContent(), poll).toContain("Cancelled 2");
      for (const number of ["+16505550201", "+16505550202"])
        expect((await record(number))["_callback_state"]).toBe("COMPLETED");
      expect((await record("+16505550103"))["_callback_state"]).toBe("SCHEDULED");

      // Export: a CSV download of the table's rows.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export CSV" }).click(),
      ]);
      const csv = await readFile(await download.path(), "utf8");
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      for (const seed of SEEDS) expect(csv).toContain(seed.number);
    } finally {
      await context.close();
    }
  });

  it("sees a new callback appear without pressing Refresh (the 5 s refresh on changed counts)", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.supervisor);
      await showSeedDay(page);
      await expect.poll(() => found(page), poll).toBe(FOUND);
      const late: Seed = {
        service: "support",
        number: "+16505550199",
        time: "16:00",
        order: "A-1099",
      };
      await schedule(late);
      await expect.poll(() => found(page), poll).toBe(`${SEEDS.length + 1} callback(s) found`);
      expect(await row(page, late.number).textContent()).toContain("A-1099");
    } finally {
      await context.close();
    }
  });

  it("signs out: the form is back and the session is refused", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.supervisor);
      const other = await context.newPage();
      await other.goto("/");
      await expect
        .poll(() => other.locator("#user-name").textContent(), poll)
        .toBe(USERS.supervisor);
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect.poll(() => page.locator("form#sign-in").isVisible(), poll).toBe(true);
      expect((await page.request.get("/api/session")).status()).toBe(401);
      // The other tab's next call is refused: it returns to the form and says why.
      await other.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => other.locator("form#sign-in").isVisible(), poll).toBe(true);
      expect(await other.locator("#error").textContent()).toContain("session has ended");
    } finally {
      await context.close();
    }
  });
});

describe("a Supervisor of one group", () => {
  it("sees only that group's service and its callbacks, and cancels one of them", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.goldSupervisor);
      await expect.poll(() => serviceRows(page).allTextContents(), poll).toHaveLength(1);
      expect(await serviceRows(page).first().textContent()).toContain("support");
      expect(await page.locator("#filter-service option").allTextContents()).toEqual([
        "All services",
        `${NAMESPACE}/support`,
      ]);
      await showSeedDay(page);
      await expect.poll(() => rows(page).count(), poll).toBeGreaterThan(0);
      const services = await rows(page).locator("td:nth-child(5)").allTextContents();
      expect(new Set(services)).toEqual(new Set([`${NAMESPACE}/support`]));

      await row(page, "+16505550103").getByRole("button", { name: "Cancel", exact: true }).click();
      await page.getByRole("button", { name: "Cancel these callbacks" }).click();
      await expect
        .poll(async () => (await record("+16505550103"))["_callback_state"], poll)
        .toBe("COMPLETED");
      // The sales callbacks were never shown, and the crafted request for one is refused.
      const session = (await (await page.request.get("/api/session")).json()) as {
        csrfToken: string;
      };
      const crafted = await page.request.post(
        `/api/callbacks/${NAMESPACE}/sales/${ids.get("+16505550202") ?? ""}/reschedule`,
        {
          headers: { "X-CSRF-Token": session.csrfToken },
          data: { desiredTime: `${DAY}T13:00:00.000Z` },
        },
      );
      expect(crafted.status()).toBe(403);
    } finally {
      await context.close();
    }
  });
});

describe("a person without a permission", () => {
  it("signs in and is told that no services are shared", async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.nobody);
      await expect
        .poll(() => page.locator("#no-services").textContent(), poll)
        .toContain("No services are shared with you");
      expect(await page.locator("#no-services").isVisible()).toBe(true);
      expect(await page.getByRole("button", { name: "Cancel Callbacks" }).isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });
});

describe("paging", () => {
  it("shows 50 callbacks a page, with Previous and Next", async () => {
    const day = "2030-03-06";
    for (let index = 0; index < 51; index++) {
      const minutes = 8 * 60 + index * 15;
      const time = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
      const answer = await fetch(`${api("sales").base}/genesys/1/service/callback/sales`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: basic },
        body: JSON.stringify({
          _customer_number: `+1650555${String(3000 + index)}`,
          _desired_time: `${day}T${time}:00.000Z`,
        }),
      });
      expect(answer.status).toBe(200);
    }
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.administrator);
      await page.locator("#filter-from").fill(`${day}T00:00`);
      await page.locator("#filter-to").fill(`${day}T23:59`);
      await page.getByRole("button", { name: "Search" }).click();
      await expect.poll(() => found(page), poll).toBe("51 callback(s) found");
      expect(await rows(page).count()).toBe(50);
      expect(await page.locator("#page-info").textContent()).toBe("Page 1 of 2");
      expect(await page.getByRole("button", { name: "Previous" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "Next" }).click();
      await expect.poll(() => page.locator("#page-info").textContent(), poll).toBe("Page 2 of 2");
      expect(await rows(page).count()).toBe(1);
      expect(await rows(page).textContent()).toContain("+16505553050");
      expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
      await page.getByRole("button", { name: "Previous" }).click();
      await expect.poll(() => rows(page).count(), poll).toBe(50);
    } finally {
      await context.close();
    }
  });
});

describe("a Callback API that stops answering", () => {
  it("is named in its services row and in the page's error, and the other service still works", async () => {
    await stopServer(api("sales"));
    const { context, page } = await newPage();
    try {
      await signIn(page, USERS.administrator);
      const sales = serviceRows(page).filter({ hasText: "sales" });
      await expect.poll(() => sales.locator(".problem").textContent(), poll).toMatch(/\S/);
      expect(await sales.textContent()).toContain("(not ready)");
      await showSeedDay(page);
      // Every service in scope: the answer names the one that failed.
      await expect.poll(() => page.locator("#error").textContent(), poll).toContain("sales");
      await page.locator("#filter-service").selectOption(`${NAMESPACE}/support`);
      // The seeds and the one the refresh test added.
      await expect.poll(() => rows(page).count(), poll).toBe(inSupport + 1);
      expect(new Set(await rows(page).locator("td:nth-child(5)").allTextContents())).toEqual(
        new Set([`${NAMESPACE}/support`]),
      );
    } finally {
      await context.close();
    }
  });
});
