// The built-in ServiceTemplates kept current on operator upgrade without overwriting what a user
// changed (issue 17 item 7, docs/adr/0112), against the real kube-apiserver: a template the older
// operator created (a POST: every field an Update of the manager its User-Agent names) is brought
// current without a conflict on every field; a user's change by server-side apply with another
// manager, and by a client-side kubectl patch, survive an upgrade while a default the new version
// changes is applied and an option it removes goes; a restart of the same version sends nothing,
// and --builtin-template=false never touches them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { annotationKeys, apiVersion, kinds } from "../../src/api/group.ts";
import type { ServiceTemplate } from "../../src/api/service-template.ts";
import {
  builtinTemplateObject,
  builtinTemplates,
  type BuiltinTemplateObject,
} from "../../src/controller/builtin-templates.ts";
import type { ManagedFieldsEntry } from "../../src/controller/field-ownership.ts";
import { KubeClient } from "../../src/runtime/kube-client.ts";
import {
  adminAccess,
  createNamespace,
  installCrds,
  kubectl,
  kubectlJson,
  tryKubectl,
} from "../support/cluster.ts";
import { startOperator } from "../support/operator.ts";
import { waitFor } from "../support/wait.ts";

const path = (name: string): string => `/apis/${apiVersion}/servicetemplates/${name}`;
const collection = `/apis/${apiVersion}/servicetemplates`;
const desired = new Map(builtinTemplates.map((t) => [t.metadata.name, builtinTemplateObject(t)]));
const names = [...desired.keys()];
const current = (name: string): BuiltinTemplateObject => {
  const object = desired.get(name);
  if (object === undefined) throw new Error(`no built-in template ${name}`);
  return object;
};

/** A default this operator version changed: the previous version had 7200. */
const changedDefault = "_urs_queued_ttl";
/** An option the previous version declared and this one removed. */
const retiredOption = "_retired_option";
/** Changed by a GitOps tool (server-side apply, another manager). */
const gitopsDefault = "_max_queued_callbacks_per_service";
/** Changed by a person with a client-side kubectl patch (an Update). */
const editedDefault = "_request_execution_time_buffer";

/** The callback template's spec as the previous version shipped it. */
function previousCallbackSpec(): ServiceTemplate["spec"] {
  const spec = current("callback").spec;
  return {
    ...spec,
    options: [
      ...spec.options.map((option) =>
        option.name === changedDefault ? { ...option, default: "7200" } : option,
      ),
      {
        name: retiredOption,
        type: "string",
        default: "on",
        mandatory: false,
        advanced: false,
        request: false,
        numbered: false,
        category: "General",
        description: "An option the previous version declared.",
      },
    ],
  };
}

let ns = "";
let admin: KubeClient;

beforeAll(() => {
  installCrds();
  ns = createNamespace("builtin");
  admin = new KubeClient(adminAccess());
});

afterAll(async () => {
  // Leave the templates as a fresh operator creates them, for the test files that follow.
  deleteTemplates();
  const operator = await startOperator("builtin-templates-restore", [`--namespaces=${ns}`]);
  try {
    await waitFor(
      () =>
        Promise.resolve(
          names.every((name) => {
            const found = tryKubectl(["get", "servicetemplate", name, "-o", "json"]);
            return found.status === 0 && isCurrent(JSON.parse(found.stdout) as LiveTemplate);
          }),
        ),
      60_000,
      "the built-in templates",
    );
  } finally {
    await operator.stop();
  }
  await admin.close();
});

interface LiveTemplate extends BuiltinTemplateObject {
  metadata: BuiltinTemplateObject["metadata"] & { managedFields: ManagedFieldsEntry[] };
}

function get(name: string): LiveTemplate {
  return kubectlJson<LiveTemplate>(["get", "servicetemplate", name, "--show-managed-fields"]);
}

function isCurrent(live: LiveTemplate): boolean {
  const key = annotationKeys.builtinRevision;
  // A template the older operator created has no annotations at all.
  const annotations = live.metadata.annotations as Record<string, string> | undefined;
  return annotations?.[key] === current(live.metadata.name).metadata.annotations[key];
}

function deleteTemplates(): void {
  kubectl(["delete", "servicetemplate", ...names, "--ignore-not-found", "--wait=true"]);
}

function option(live: LiveTemplate, name: string): ServiceTemplate["spec"]["options"][number] {
  const found = live.spec.options.find((o) => o.name === name);
  if (found === undefined) throw new Error(`option ${name} missing`);
  return found;
}

function optionIndex(live: LiveTemplate, name: string): number {
  return live.spec.options.findIndex((o) => o.name === name);
}

/** What a user sees in `kubectl describe servicetemplate`. */
function keptEvents(name: string): string[] {
  const events = kubectlJson<{ items: { message: string; involvedObject: { uid: string } }[] }>([
    "get",
    "events",
    "-n",
    "default",
    `--field-selector=involvedObject.name=${name},involvedObject.kind=ServiceTemplate,reason=BuiltinFieldKept`,
  ]);
  const { uid } = get(name).metadata as { uid?: string };
  return events.items.filter((e) => e.involvedObject.uid === uid).map((e) => e.message);
}

/** The spec of this version with the given option defaults (a user's values) in place. */
function currentSpecWith(defaults: Record<string, string>): ServiceTemplate["spec"] {
  const spec = current("callback").spec;
  return {
    ...spec,
    options: spec.options.map((o) =>
      o.name in defaults ? { ...o, default: defaults[o.name] } : o,
    ),
  };
}

/** Option order is the apiserver's merge order; compare as sets by name. */
function byName(spec: ServiceTemplate["spec"]): unknown {
  return {
    ...spec,
    options: Object.fromEntries(spec.options.map((o) => [o.name, o])),
    scenarios: Object.fromEntries(spec.scenarios.map((s) => [s.name, s])),
  };
}

async function upgradeTo(name: string): Promise<void> {
  const operator = await startOperator(name, [`--namespaces=${ns}`]);
  try {
    await waitFor(
      () => Promise.resolve(names.every((n) => isCurrent(get(n)))),
      60_000,
      "the built-in templates of this version",
    );
  } finally {
    await operator.stop();
  }
}

describe("the built-in templates on operator upgrade", () => {
  it("(a) brings a template the older operator created current, taking over only its own fields", async () => {
    deleteTemplates();
    // Today's operator: a POST with its User-Agent and no fieldManager, of the parsed template.
    const older = new KubeClient(adminAccess(), undefined, {
      userAgent: "callback-operator (old-host_12345)",
    });
    try {
      for (const name of names) {
        const spec = name === "callback" ? previousCallbackSpec() : current(name).spec;
        await older.create(collection, {
          apiVersion,
          kind: kinds.serviceTemplate.kind,
          spec,
          metadata: { name, labels: current(name).metadata.labels },
        });
      }
    } finally {
      await older.close();
    }
    const created = get("callback");
    // How the apiserver recorded that POST: one Update by the manager named from the User-Agent.
    expect(
      created.metadata.managedFields.map((e) => [e.manager, e.operation, e.subresource ?? ""]),
    ).toEqual([["callback-operator (old-host_12345)", "Update", ""]]);
    // A person changed one default of the old template with kubectl edit/patch (an Update).
    kubectl([
      "patch",
      "servicetemplate",
      "callback",
      "--type=json",
      `-p=${JSON.stringify([
        {
          op: "replace",
          path: `/spec/options/${String(optionIndex(created, editedDefault))}/default`,
          value: "30",
        },
      ])}`,
    ]);

    await upgradeTo("builtin-templates-a");

    const live = get("callback");
    expect(byName(live.spec)).toEqual(byName(currentSpecWith({ [editedDefault]: "30" })));
    expect(option(live, changedDefault).default).toBe("14400");
    expect(live.spec.options.map((o) => o.name)).not.toContain(retiredOption);
    expect(option(live, editedDefault).default).toBe("30");
    // The older operator's fields are the apply manager's now; the person's stays theirs.
    const managers = live.metadata.managedFields.map(
      (e) => `${e.manager ?? ""}/${e.operation ?? ""}`,
    );
    expect(managers).not.toContain("callback-operator (old-host_12345)/Update");
    expect(managers).toContain("callback-operator/Apply");
    expect(managers).toContain("kubectl-patch/Update");
    expect(keptEvents("callback")).toEqual([
      expect.stringContaining(`.spec.options[name="${editedDefault}"].default`),
    ]);
    for (const name of ["office-hours", "capacity"]) {
      const section = get(name);
      expect(byName(section.spec)).toEqual(byName(current(name).spec));
      expect(section.metadata.managedFields.map((e) => e.manager)).not.toContain(
        "callback-operator (old-host_12345)",
      );
    }
  });

  it("(b, c) keeps a GitOps tool's and a person's changes on the next upgrade, applies the version's changed default and drops its removed option", async () => {
    deleteTemplates();
    // The previous version of this operator applied its content with the same field manager.
    for (const name of names) {
      await admin.apply(
        path(name),
        {
          ...current(name),
          metadata: {
            ...current(name).metadata,
            annotations: { [annotationKeys.builtinRevision]: "previous-version" },
          },
          spec: name === "callback" ? previousCallbackSpec() : current(name).spec,
        },
        "callback-operator",
      );
    }
    // A GitOps tool owns one default (server-side apply with its own manager, taking it over).
    kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=gitops-tool", "-f", "-"],
      {
        input: stringify({
          apiVersion,
          kind: kinds.serviceTemplate.kind,
          metadata: { name: "callback" },
          spec: {
            options: [{ name: gitopsDefault, type: "integer", default: "50" }],
          },
        }),
      },
    );
    // A person changed another with a client-side kubectl patch.
    const before = get("callback");
    kubectl([
      "patch",
      "servicetemplate",
      "callback",
      "--type=json",
      `-p=${JSON.stringify([
        {
          op: "replace",
          path: `/spec/options/${String(optionIndex(before, editedDefault))}/default`,
          value: "30",
        },
      ])}`,
    ]);

    await upgradeTo("builtin-templates-b");

    const live = get("callback");
    expect(option(live, gitopsDefault).default).toBe("50");
    expect(option(live, editedDefault).default).toBe("30");
    expect(option(live, changedDefault).default).toBe("14400");
    expect(live.spec.options.map((o) => o.name)).not.toContain(retiredOption);
    expect(byName(live.spec)).toEqual(
      byName(currentSpecWith({ [gitopsDefault]: "50", [editedDefault]: "30" })),
    );
    expect(keptEvents("callback").sort()).toEqual(
      [
        expect.stringContaining(`.spec.options[name="${gitopsDefault}"].default`),
        expect.stringContaining(`.spec.options[name="${editedDefault}"].default`),
      ].sort(),
    );
    // The operator's own manager holds no field the users changed.
    const ours = live.metadata.managedFields.find(
      (e) => e.manager === "callback-operator" && e.operation === "Apply" && !e.subresource,
    );
    const options = ours?.fieldsV1?.["f:spec"]?.["f:options"] ?? {};
    expect(options[`k:{"name":"${gitopsDefault}"}`]?.["f:default"]).toBeUndefined();
    expect(options[`k:{"name":"${editedDefault}"}`]?.["f:default"]).toBeUndefined();
    expect(options[`k:{"name":"${changedDefault}"}`]?.["f:default"]).toEqual({});
  });

  it("sends no write on a restart of the same version", async () => {
    // A first run settles the status of every template for this namespace's view of the services.
    const first = await startOperator("builtin-templates-settle", [`--namespaces=${ns}`]);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await first.stop();
    const operator = await startOperator("builtin-templates-restart", [`--namespaces=${ns}`]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const counts = await operator.requests();
      expect((counts["PATCH"] ?? 0) + (counts["POST"] ?? 0) + (counts["PUT"] ?? 0)).toBe(0);
    } finally {
      await operator.stop();
    }
  });

  it("never touches them with --builtin-template=false", async () => {
    await admin.apply(
      path("capacity"),
      {
        ...current("capacity"),
        metadata: {
          ...current("capacity").metadata,
          annotations: { [annotationKeys.builtinRevision]: "previous-version" },
        },
        spec: { ...current("capacity").spec, description: "previous" },
      },
      "callback-operator",
    );
    const operator = await startOperator("builtin-templates-off", [
      `--namespaces=${ns}`,
      "--builtin-template=false",
    ]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const live = get("capacity");
      expect(live.spec.description).toBe("previous");
      expect(live.metadata.annotations[annotationKeys.builtinRevision]).toBe("previous-version");
    } finally {
      await operator.stop();
    }
  });
});
