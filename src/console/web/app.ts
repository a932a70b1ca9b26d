// The console's page: plain DOM, no framework, served as JavaScript after type stripping
// (docs/adr/0133). Everything shown comes from the JSON API, and the page only hides what the API
// would refuse: the server checks every call itself.
import { ApiError, callApi, download, useCsrfToken } from "./api.ts";
import {
  callbackQuery,
  countsSignature,
  foundText,
  nextSort,
  pageCount,
  type Filters,
  type SortKey,
  type View,
} from "./query.ts";
import type {
  Action,
  BulkCancelResult,
  Callback,
  CallbackDetails,
  CallbackPage,
  Column,
  Service,
  ServiceList,
  Session,
  SignInMethods,
} from "./types.ts";

const REFRESH_MS = 5_000;
const COUNTED_STATES = ["SCHEDULED", "QUEUED", "ROUTING", "PROCESSING"] as const;
const SORTABLE: readonly { key: SortKey; label: string }[] = [
  { key: "state", label: "State" },
  { key: "desiredTime", label: "Desired Callback Time" },
  { key: "customerNumber", label: "Phone Number" },
  { key: "service", label: "Service Name" },
  { key: "reason", label: "Reason" },
];

function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`The page has no #${id}.`);
  return node;
}

const ui = {
  status: byId("status", HTMLElement),
  error: byId("error", HTMLElement),
  account: byId("account", HTMLElement),
  userName: byId("user-name", HTMLElement),
  userGroups: byId("user-groups", HTMLElement),
  signOut: byId("sign-out", HTMLButtonElement),
  signInView: byId("sign-in-view", HTMLElement),
  signIn: byId("sign-in", HTMLFormElement),
  username: byId("username", HTMLInputElement),
  password: byId("password", HTMLInputElement),
  noSignIn: byId("no-sign-in", HTMLElement),
  sso: byId("sso", HTMLElement),
  consoleView: byId("console-view", HTMLElement),
  groupFilter: byId("group-filter", HTMLSelectElement),
  noServices: byId("no-services", HTMLElement),
  serviceTable: byId("service-table", HTMLTableElement),
  filters: byId("filters", HTMLFormElement),
  filterState: byId("filter-state", HTMLSelectElement),
  filterFrom: byId("filter-from", HTMLInputElement),
  filterTo: byId("filter-to", HTMLInputElement),
  filterNumber: byId("filter-number", HTMLInputElement),
  filterService: byId("filter-service", HTMLSelectElement),
  filterGroup: byId("filter-group", HTMLSelectElement),
  refresh: byId("refresh", HTMLButtonElement),
  bulkCancel: byId("bulk-cancel", HTMLButtonElement),
  exportCsv: byId("export", HTMLButtonElement),
  found: byId("found", HTMLElement),
  callbacks: byId("callbacks", HTMLTableElement),
  noCallbacks: byId("no-callbacks", HTMLElement),
  previous: byId("previous", HTMLButtonElement),
  next: byId("next", HTMLButtonElement),
  pageInfo: byId("page-info", HTMLElement),
  details: byId("details", HTMLDialogElement),
  detailsList: byId("details-list", HTMLElement),
  confirm: byId("confirm-cancel", HTMLDialogElement),
  confirmText: byId("confirm-text", HTMLElement),
  confirmList: byId("confirm-list", HTMLElement),
  confirmYes: byId("confirm-yes", HTMLButtonElement),
  confirmNo: byId("confirm-no", HTMLButtonElement),
  reschedule: byId("reschedule", HTMLDialogElement),
  rescheduleText: byId("reschedule-text", HTMLElement),
  rescheduleDate: byId("reschedule-date", HTMLInputElement),
  slots: byId("slots", HTMLElement),
  rescheduleError: byId("reschedule-error", HTMLElement),
  rescheduleYes: byId("reschedule-yes", HTMLButtonElement),
  rescheduleNo: byId("reschedule-no", HTMLButtonElement),
};

let services: readonly Service[] = [];
let view: View = {
  filters: readFilters(),
  sort: "desiredTime",
  order: "asc",
  page: 1,
  pageSize: 50,
};
let total = 0;
let signature = "";
let timer: number | undefined;
/** Selected rows by `<service>|<id>`, kept across refreshes of the same page. */
const selected = new Map<string, Callback>();
/** What the open confirmation dialog will cancel, and the callback being rescheduled. */
let pendingCancel: { items: readonly Callback[]; bulk: boolean } = { items: [], bulk: false };
let rescheduling: Callback | undefined;

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
}

const keyOf = (callback: Callback): string => `${callback.service}|${callback.id}`;
const serviceId = (service: Service): string => `${service.namespace}/${service.name}`;

function allows(service: string, action: Action): boolean {
  return services.some((known) => serviceId(known) === service && known.actions.includes(action));
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text: string, onClick: () => Promise<void> | void): HTMLButtonElement {
  const node = element("button", text);
  node.type = "button";
  node.addEventListener("click", () => {
    void run(onClick);
  });
  return node;
}

// Messages ---------------------------------------------------------------------------------------

function say(message: string): void {
  ui.status.textContent = message;
}

function showError(message: string): void {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

/** Runs an action of the page: a refused call shows the API's message, an ended session signs out. */
async function run(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && error.code !== "invalid_credentials") {
      await showSignIn("Your session has ended. Sign in again.");
      return;
    }
    showError(error instanceof Error ? error.message : String(error));
  }
}

// Sign-in ----------------------------------------------------------------------------------------

async function showSignIn(message?: string): Promise<void> {
  stopRefreshing();
  for (const dialog of [ui.details, ui.confirm, ui.reschedule]) dialog.close();
  ui.consoleView.hidden = true;
  ui.account.hidden = true;
  ui.signInView.hidden = false;
  clearError();
  if (message !== undefined) showError(message);
  say("");
  const methods = await callApi<SignInMethods>("/api/sign-in-methods");
  ui.sso.hidden = !methods.oidc;
  ui.noSignIn.hidden = methods.local || methods.oidc;
  ui.username.focus();
}

async function signIn(): Promise<void> {
  const username = ui.username.value.trim();
  if (username === "" || ui.password.value === "") {
    showError("Enter your user name and password.");
    return;
  }
  const { token } = await callApi<{ token: string }>("/auth/login-token");
  const session = await callApi<Session>("/auth/login", {
    method: "POST",
    body: { username, password: ui.password.value },
    csrf: token,
  });
  ui.password.value = "";
  await signedIn(session);
}

async function signOut(): Promise<void> {
  await callApi("/auth/logout", { method: "POST" });
  useCsrfToken("");
  await showSignIn();
  say("You are signed out.");
}

async function signedIn(session: Session): Promise<void> {
  useCsrfToken(session.csrfToken);
  clearError();
  ui.signInView.hidden = true;
  ui.userName.textContent = session.username;
  ui.userGroups.textContent = session.groups.length > 0 ? `(${session.groups.join(", ")})` : "";
  ui.account.hidden = false;
  ui.consoleView.hidden = false;
  selected.clear();
  // Refreshing starts first: a service that fails now (its row or the table says why) may answer
  // again, and the page should notice without a reload.
  startRefreshing();
  await loadServices();
  await loadCallbacks();
}

// Services ---------------------------------------------------------------------------------------

function fillOptions(select: HTMLSelectElement, values: readonly string[], all: string): void {
  const current = select.value;
  select.replaceChildren(new Option(all, ""), ...values.map((value) => new Option(value, value)));
  select.value = values.includes(current) ? current : "";
}

async function loadServices(): Promise<void> {
  const list = await callApi<ServiceList>("/api/services");
  showServices(list);
}

function showServices(list: ServiceList): void {
  services = list.services;
  signature = countsSignature(services);
  fillOptions(ui.groupFilter, list.groups, "All groups");
  fillOptions(ui.filterGroup, list.groups, "All groups");
  fillOptions(ui.filterService, services.map(serviceId), "All services");
  renderServices();
  const mayCancel = services.some((service) => service.actions.includes("cancel"));
  ui.bulkCancel.hidden = !mayCancel;
  ui.exportCsv.hidden = exportable().length === 0;
}

function renderServices(): void {
  const group = ui.groupFilter.value;
  const shown = services.filter((service) => group === "" || service.groups.includes(group));
  ui.noServices.hidden = services.length > 0;
  ui.serviceTable.hidden = services.length === 0;
  const rows = shown.map((service) => {
    const row = element("tr");
    const name = element("th");
    name.scope = "row";
    const show = button(service.name, () => showServiceCallbacks(service));
    show.className = "link";
    show.setAttribute("aria-label", `Show callbacks of ${serviceId(service)}`);
    name.append(show);
    if (!service.ready) name.append(" (not ready)");
    if (service.problem !== undefined) {
      const problem = element("p", service.problem);
      problem.className = "problem";
      name.append(problem);
    }
    row.append(
      name,
      element("td", service.namespace),
      element("td", service.groups.join(", ")),
      element("td", service.role),
      ...COUNTED_STATES.map((state) => element("td", String(service.counts[state] ?? 0))),
    );
    return row;
  });
  ui.serviceTable.tBodies[0]?.replaceChildren(...rows);
}

async function showServiceCallbacks(service: Service): Promise<void> {
  ui.filterService.value = serviceId(service);
  await search();
}

/** The services the current filters cover, for which buttons to offer. */
function inScope(): readonly Service[] {
  const { service, group } = view.filters;
  return services.filter(
    (known) =>
      (service === "" || serviceId(known) === service) &&
      (group === "" || known.groups.includes(group)),
  );
}

function exportable(): readonly Service[] {
  return inScope().filter((service) => service.actions.includes("export"));
}

// Callbacks --------------------------------------------------------------------------------------

function readFilters(): Filters {
  return {
    state: ui.filterState.value,
    from: ui.filterFrom.value,
    to: ui.filterTo.value,
    customerNumber: ui.filterNumber.value,
    service: ui.filterService.value,
    group: ui.filterGroup.value,
  };
}

async function search(): Promise<void> {
  view = { ...view, filters: readFilters(), page: 1 };
  selected.clear();
  ui.exportCsv.hidden = exportable().length === 0;
  await loadCallbacks();
}

async function loadCallbacks(): Promise<void> {
  const page = await callApi<CallbackPage>(`/api/callbacks?${callbackQuery(view).toString()}`);
  total = page.total;
  const last = pageCount(total, view.pageSize);
  if (view.page > last) {
    view = { ...view, page: last };
    await loadCallbacks();
    return;
  }
  renderCallbacks(page);
}

function headerCell(label: string): HTMLTableCellElement {
  const cell = element("th", label);
  cell.scope = "col";
  return cell;
}

function sortHeader(key: SortKey, label: string): HTMLTableCellElement {
  const cell = headerCell("");
  const active = view.sort === key;
  cell.setAttribute(
    "aria-sort",
    active ? (view.order === "asc" ? "ascending" : "descending") : "none",
  );
  const arrow = active ? (view.order === "asc" ? " ▲" : " ▼") : "";
  cell.append(
    button(`${label}${arrow}`, async () => {
      view = { ...view, ...nextSort(view, key), page: 1 };
      await loadCallbacks();
    }),
  );
  return cell;
}

function selectAllCell(items: readonly Callback[]): HTMLTableCellElement {
  const cell = headerCell("");
  const box = element("input");
  box.type = "checkbox";
  box.setAttribute("aria-label", "Select all callbacks on this page");
  const selectable = items.filter(canCancel);
  box.disabled = selectable.length === 0;
  box.checked = selectable.length > 0 && selectable.every((item) => selected.has(keyOf(item)));
  box.addEventListener("change", () => {
    for (const item of selectable)
      if (box.checked) selected.set(keyOf(item), item);
      else selected.delete(keyOf(item));
    for (const row of ui.callbacks.querySelectorAll<HTMLInputElement>("tbody input[type=checkbox]"))
      if (!row.disabled) row.checked = box.checked;
    updateBulk();
  });
  cell.append(box);
  return cell;
}

function canCancel(item: Callback): boolean {
  return (
    item.state !== "COMPLETED" && item.state !== "PROCESSING" && allows(item.service, "cancel")
  );
}

function canReschedule(item: Callback): boolean {
  return (
    (item.state === "SCHEDULED" || item.state === "QUEUED") && allows(item.service, "reschedule")
  );
}

function renderCallbacks(page: CallbackPage): void {
  const head = ui.callbacks.tHead?.rows[0];
  head?.replaceChildren(
    selectAllCell(page.items),
    ...SORTABLE.map(({ key, label }) => sortHeader(key, label)),
    ...page.columns.map((column) => headerCell(column.label)),
    headerCell("Actions"),
  );
  ui.callbacks.tBodies[0]?.replaceChildren(
    ...page.items.map((item) => callbackRow(item, page.columns)),
  );
  for (const key of [...selected.keys()])
    if (!page.items.some((item) => keyOf(item) === key)) selected.delete(key);
  ui.noCallbacks.hidden = page.items.length > 0;
  ui.found.textContent = foundText(total);
  const pages = pageCount(total, view.pageSize);
  ui.pageInfo.textContent = `Page ${view.page} of ${pages}`;
  ui.previous.disabled = view.page <= 1;
  ui.next.disabled = view.page >= pages;
  updateBulk();
}

function callbackRow(item: Callback, columns: readonly Column[]): HTMLTableRowElement {
  const row = element("tr");
  row.dataset["service"] = item.service;
  row.dataset["id"] = item.id;
  const pick = element("td");
  const box = element("input");
  box.type = "checkbox";
  box.setAttribute("aria-label", `Select callback ${item.id}`);
  box.disabled = !canCancel(item);
  box.checked = selected.has(keyOf(item));
  box.addEventListener("change", () => {
    if (box.checked) selected.set(keyOf(item), item);
    else selected.delete(keyOf(item));
    updateBulk();
  });
  pick.append(box);
  const actions = element("td");
  actions.className = "actions";
  actions.append(button("Details", () => showDetails(item)));
  if (canCancel(item))
    actions.append(
      " ",
      button("Cancel", () => {
        askCancel([item], false);
      }),
    );
  if (canReschedule(item))
    actions.append(
      " ",
      button("Reschedule", () => askReschedule(item)),
    );
  row.append(
    pick,
    element("td", item.state),
    element("td", formatTime(item.desiredTime)),
    element("td", item.customerNumber),
    element("td", item.service),
    element("td", item.reason),
    ...columns.map((column) => element("td", textOf(item.custom[column.key]))),
    actions,
  );
  return row;
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function updateBulk(): void {
  ui.bulkCancel.disabled = selected.size === 0;
}

async function turnPage(step: number): Promise<void> {
  view = { ...view, page: Math.max(1, view.page + step) };
  selected.clear();
  await loadCallbacks();
}

async function refresh(): Promise<void> {
  clearError();
  await loadServices();
  await loadCallbacks();
  say("Refreshed.");
}

// Details, cancel, reschedule, export ------------------------------------------------------------

function path(item: Callback): string {
  const [namespace = "", name = ""] = item.service.split("/");
  return `/api/callbacks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(item.id)}`;
}

async function showDetails(item: Callback): Promise<void> {
  const details = await callApi<CallbackDetails>(path(item));
  const entries = Object.entries(details.record).sort(([a], [b]) => a.localeCompare(b));
  ui.detailsList.replaceChildren(
    ...entries.flatMap(([key, value]) => [element("dt", key), element("dd", textOf(value))]),
  );
  ui.details.showModal();
}

function describe(item: Callback): string {
  return `${item.customerNumber} — ${item.service} — ${formatTime(item.desiredTime)} (${item.state})`;
}

/** Per-row Cancel asks for one callback; "Cancel Callbacks" for the selection, as one request. */
function askCancel(items: readonly Callback[], bulk: boolean): void {
  pendingCancel = { items, bulk };
  ui.confirmText.textContent =
    items.length === 1
      ? "Cancel this callback? The customer will not be called."
      : `Cancel these ${items.length} callbacks in the current page? The customers will not be called.`;
  ui.confirmList.replaceChildren(...items.map((item) => element("li", describe(item))));
  ui.confirm.showModal();
  ui.confirmNo.focus();
}

async function confirmCancel(): Promise<void> {
  const { items, bulk } = pendingCancel;
  pendingCancel = { items: [], bulk: false };
  ui.confirm.close();
  const [single] = items;
  if (!bulk && single !== undefined) {
    const { result } = await callApi<{ result: string }>(`${path(single)}/cancel`, {
      method: "POST",
    });
    say(
      result === "cancelled"
        ? `Cancelled callback ${single.id}.`
        : `Callback ${single.id} had already completed.`,
    );
  } else {
    const result = await callApi<BulkCancelResult>("/api/callbacks/cancel", {
      method: "POST",
      body: { items: items.map(({ service, id }) => ({ service, id })) },
    });
    say(
      `Cancelled ${result.cancelled.length} callback(s); ${result.already_completed.length} had already completed; ${result.not_found.length} not found.`,
    );
  }
  for (const item of items) selected.delete(keyOf(item));
  clearError();
  await loadServices();
  await loadCallbacks();
}

function utcDate(iso: string): string {
  return iso.slice(0, 10);
}

async function askReschedule(item: Callback): Promise<void> {
  rescheduling = item;
  ui.rescheduleText.textContent = `Callback to ${item.customerNumber} (${item.service}), now ${formatTime(item.desiredTime)}.`;
  ui.rescheduleDate.value = utcDate(item.desiredTime);
  ui.rescheduleError.hidden = true;
  ui.reschedule.showModal();
  await loadSlots();
}

async function loadSlots(): Promise<void> {
  const item = rescheduling;
  if (item === undefined || ui.rescheduleDate.value === "") return;
  ui.slots.replaceChildren(element("p", "Loading slots…"));
  try {
    const { slots } = await callApi<{ slots: readonly string[] }>(
      `${path(item)}/slots?date=${encodeURIComponent(ui.rescheduleDate.value)}`,
    );
    ui.rescheduleYes.disabled = slots.length === 0;
    if (slots.length === 0) {
      ui.slots.replaceChildren(element("p", "No free slots on this date; choose another date."));
      return;
    }
    ui.slots.replaceChildren(...slots.map((slot, index) => slotChoice(slot, index)));
  } catch (error) {
    ui.slots.replaceChildren();
    rescheduleFailed(error);
  }
}

function slotChoice(slot: string, index: number): HTMLLabelElement {
  const label = element("label");
  const radio = element("input");
  radio.type = "radio";
  radio.name = "slot";
  radio.value = slot;
  radio.checked = index === 0;
  label.append(radio, ` ${formatTime(slot)}`);
  return label;
}

function rescheduleFailed(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) throw error;
  ui.rescheduleError.textContent = error instanceof Error ? error.message : String(error);
  ui.rescheduleError.hidden = false;
}

async function confirmReschedule(): Promise<void> {
  const item = rescheduling;
  const choice = ui.slots.querySelector<HTMLInputElement>("input[name=slot]:checked");
  if (item === undefined) return;
  if (choice === null) {
    rescheduleFailed(new Error("Choose a slot first."));
    return;
  }
  try {
    await callApi(`${path(item)}/reschedule`, {
      method: "POST",
      body: { desiredTime: choice.value },
    });
  } catch (error) {
    rescheduleFailed(error);
    return;
  }
  ui.reschedule.close();
  rescheduling = undefined;
  say(`Rescheduled callback ${item.id} to ${formatTime(choice.value)}.`);
  clearError();
  await loadServices();
  await loadCallbacks();
}

async function exportCsv(): Promise<void> {
  const allowed = exportable();
  const narrowed = allowed.length < inScope().length ? allowed.map(serviceId) : [];
  const query = callbackQuery(view, narrowed);
  query.delete("page");
  query.delete("pageSize");
  const { blob, filename } = await download(`/api/callbacks.csv?${query.toString()}`);
  const url = URL.createObjectURL(blob);
  const link = element("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
  say(`Exported ${filename}.`);
}

// The 5 s refresh: services' counts are cheap; the table reloads only when they change. ----------

function startRefreshing(): void {
  stopRefreshing();
  timer = window.setInterval(() => {
    if (document.hidden) return;
    void run(async () => {
      const list = await callApi<ServiceList>("/api/services");
      if (countsSignature(list.services) === signature) return;
      showServices(list);
      await loadCallbacks();
    });
  }, REFRESH_MS);
}

function stopRefreshing(): void {
  if (timer !== undefined) window.clearInterval(timer);
  timer = undefined;
}

// Wiring -----------------------------------------------------------------------------------------

function on(target: EventTarget, event: string, action: () => Promise<void> | void): void {
  target.addEventListener(event, (domEvent) => {
    if (event === "submit") domEvent.preventDefault();
    void run(action);
  });
}

on(ui.signIn, "submit", signIn);
on(ui.signOut, "click", signOut);
on(ui.groupFilter, "change", renderServices);
on(ui.filters, "submit", search);
for (const select of [ui.filterState, ui.filterService, ui.filterGroup])
  on(select, "change", search);
on(ui.refresh, "click", refresh);
on(ui.previous, "click", () => turnPage(-1));
on(ui.next, "click", () => turnPage(1));
on(ui.bulkCancel, "click", () => {
  askCancel([...selected.values()], true);
});
on(ui.exportCsv, "click", exportCsv);
on(ui.confirmYes, "click", confirmCancel);
on(ui.confirmNo, "click", () => {
  pendingCancel = { items: [], bulk: false };
  ui.confirm.close();
});
on(ui.rescheduleDate, "change", loadSlots);
on(ui.rescheduleYes, "click", confirmReschedule);
on(ui.rescheduleNo, "click", () => {
  rescheduling = undefined;
  ui.reschedule.close();
});

void run(async () => {
  try {
    await signedIn(await callApi<Session>("/api/session"));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
    await showSignIn();
  }
});
