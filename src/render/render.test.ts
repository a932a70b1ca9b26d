import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { callbackServiceSchema, type CallbackService } from "../api/callback-service.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import { configMapName } from "./children.ts";
import { defaultRenderConfig } from "./render-config.ts";
import { render, type RenderResult } from "./render.ts";

const template = builtinCallbackTemplate;

function service(spec: Record<string, unknown>, name = "callback-support"): CallbackService {
  return callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name, namespace: "contact-centre", uid: "uid-1" },
    spec,
  });
}

function ok(result: RenderResult): Extract<RenderResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a render, got ${result.reason}: ${result.message}`);
  return result;
}

const child = (
  result: Extract<RenderResult, { ok: true }>,
  kind: string,
): Record<string, unknown> => {
  const found = result.children.find((c) => c.kind === kind);
  if (found === undefined) throw new Error(`no ${kind}`);
  return found;
};

const routePoint = { _route_point: "8999@SIP_Switch" };

describe("render of every scenario of the built-in template", () => {
  it.each(template.spec.scenarios.map((s) => [s.name, s.values ?? {}] as const))(
    "%s: the section holds the template defaults overlaid by the scenario's values",
    (scenario, values) => {
      const result = ok(
        render(service({ scenario, options: routePoint }), template, defaultRenderConfig),
      );
      const defaults = Object.fromEntries(
        template.spec.options.flatMap((o) =>
          o.default === undefined ? [] : [[o.name, o.default]],
        ),
      );
      expect(result.effectiveOptions).toEqual({ ...defaults, ...values, ...routePoint });
      expect(child(result, "ConfigMap")["data"]).toEqual(result.effectiveOptions);
      expect(result.children.map((c) => c.kind)).toEqual([
        "ConfigMap",
        "StatefulSet",
        "Service",
        "Ingress",
      ]);
    },
  );
});

describe("option precedence", () => {
  const tiny: ServiceTemplate = {
    ...template,
    metadata: { name: "tiny" },
    spec: {
      serviceType: "callback",
      options: [
        {
          name: "a",
          type: "string",
          default: "template",
          mandatory: false,
          advanced: false,
          request: false,
          numbered: false,
        },
        {
          name: "b",
          type: "string",
          default: "template",
          mandatory: false,
          advanced: false,
          request: false,
          numbered: false,
        },
        {
          name: "c",
          type: "string",
          default: "template",
          mandatory: false,
          advanced: false,
          request: false,
          numbered: false,
        },
        {
          name: "d",
          type: "string",
          mandatory: false,
          advanced: false,
          request: true,
          numbered: false,
        },
        {
          name: "e",
          type: "string",
          default: "template",
          mandatory: false,
          advanced: false,
          request: false,
          numbered: false,
        },
      ],
      scenarios: [{ name: "S", values: { b: "scenario", c: "scenario" } }],
    },
  };

  it("is template default < scenario value < spec.options, minus removedOptions; unset request parameters stay out", () => {
    const result = ok(
      render(
        service({
          template: "tiny",
          scenario: "S",
          options: { c: "service" },
          removedOptions: ["e"],
        }),
        tiny,
        defaultRenderConfig,
      ),
    );
    expect(result.effectiveOptions).toEqual({ a: "template", b: "scenario", c: "service" });
    expect(result.facts.warnings).toEqual([]);
  });

  it("hashes the section so that equal sections have equal hashes and a change changes it", () => {
    const a = ok(render(service({ template: "tiny", scenario: "S" }), tiny, defaultRenderConfig));
    const b = ok(
      render(service({ template: "tiny", scenario: "S" }, "other"), tiny, defaultRenderConfig),
    );
    const c = ok(
      render(
        service({ template: "tiny", scenario: "S", options: { a: "x" } }),
        tiny,
        defaultRenderConfig,
      ),
    );
    expect(a.facts.configHash).toBe(b.facts.configHash);
    expect(c.facts.configHash).not.toBe(a.facts.configHash);
  });
});

describe("warnings", () => {
  const warningsOf = (spec: Record<string, unknown>): readonly string[] =>
    ok(render(service(spec), template, defaultRenderConfig)).facts.warnings;

  it("warns when a request parameter is configured (it overrides every request)", () => {
    const warnings = warningsOf({
      scenario: "User-Terminated-Scheduled",
      options: { ...routePoint, _desired_time: "2026-12-01T10:00:00.000Z" },
    });
    expect(warnings).toEqual([
      expect.stringContaining("option _desired_time is a request parameter"),
    ]);
  });

  it("passes an unknown option through, with a warning", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Immediate",
          options: { ...routePoint, my_flag: "on" },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(result.effectiveOptions["my_flag"]).toBe("on");
    expect(result.facts.warnings).toEqual([
      expect.stringContaining("option my_flag is not declared"),
    ]);
  });

  it("warns when a removed option is not declared", () => {
    expect(
      warningsOf({
        scenario: "User-Terminated-Immediate",
        options: routePoint,
        removedOptions: ["nope"],
      }),
    ).toEqual([expect.stringContaining("spec.removedOptions: option nope is not declared")]);
  });

  it("warns when a mandatory option without a default stays unset", () => {
    expect(
      warningsOf({
        scenario: "User-Originated-Immediate",
        options: { _access_numbers: "+18005550100" },
      }),
    ).toEqual([expect.stringContaining("option _route_point is mandatory and has no value")]);
  });
});

describe("what stalls a service", () => {
  const stalled = (result: RenderResult): Extract<RenderResult, { ok: false }> => {
    if (result.ok) throw new Error("expected a stalled render");
    return result;
  };

  it("names a missing template", () => {
    const result = stalled(
      render(service({ template: "nope", scenario: "X" }), undefined, defaultRenderConfig),
    );
    expect(result.reason).toBe("TemplateNotFound");
    expect(result.message).toContain('ServiceTemplate "nope" does not exist');
  });

  it("lists the scenarios when the scenario is unknown", () => {
    const result = stalled(render(service({ scenario: "Nope" }), template, defaultRenderConfig));
    expect(result.reason).toBe("UnknownScenario");
    expect(result.message).toContain("User-Terminated-Delayed");
  });

  it("names each bad option, a removed mandatory option and an emptied one", () => {
    const result = stalled(
      render(
        service({
          scenario: "User-Terminated-Immediate",
          options: {
            ...routePoint,
            _wait_for_agent: "maybe",
            _ttl: "soon",
            _user_confirm_timeout: "",
          },
          removedOptions: ["_agent_transfer_confirm_timeout"],
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(result.reason).toBe("InvalidOptions");
    for (const name of [
      "_wait_for_agent",
      "_ttl",
      "_user_confirm_timeout",
      "_agent_transfer_confirm_timeout",
    ]) {
      expect(result.message).toContain(name);
    }
  });

  it("needs a Gateway for an HTTPRoute", () => {
    const result = stalled(
      render(service({ scenario: "User-Terminated-Immediate", options: routePoint }), template, {
        ...defaultRenderConfig,
        routingMode: "httproute",
      }),
    );
    expect(result.reason).toBe("RouteNotAccepted");
    expect(result.message).toContain("spec.route.parentRefs");
  });
});

describe("children", () => {
  it("labels every child with the groups, the service and the template, never Argo CD's tracking", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Immediate",
          options: { ...routePoint, _service_groups: "support, blackfriday" },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(result.facts.serviceGroups).toEqual(["support", "blackfriday"]);
    expect(result.serviceLabels).toEqual({
      "callback-operator.io/template": "callback",
      "group.callback-operator.io/support": "true",
      "group.callback-operator.io/blackfriday": "true",
    });
    for (const c of result.children) {
      expect(c.metadata.labels).toMatchObject({
        "app.kubernetes.io/managed-by": "callback-operator",
        "callback-operator.io/service": "callback-support",
        "group.callback-operator.io/support": "true",
      });
      expect(Object.keys(c.metadata.labels)).not.toContain("app.kubernetes.io/instance");
      expect(c.metadata.ownerReferences).toEqual([
        expect.objectContaining({ uid: "uid-1", controller: true }),
      ]);
    }
    expect(child(result, "ConfigMap")["metadata"]).toMatchObject({
      name: configMapName("callback-support"),
    });
  });

  it("runs a hardened pod that mounts the section and rolls when it changes", () => {
    const result = ok(
      render(
        service({ scenario: "User-Terminated-Immediate", options: routePoint }),
        template,
        defaultRenderConfig,
      ),
    );
    const pod = (
      child(result, "StatefulSet")["spec"] as {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: Record<string, unknown>;
        };
      }
    ).template;
    expect(pod.metadata.annotations["callback-operator.io/config-hash"]).toBe(
      result.facts.configHash,
    );
    expect(pod.spec["securityContext"]).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const [container] = pod.spec["containers"] as {
      args: string[];
      securityContext: Record<string, unknown>;
    }[];
    expect(container?.args.slice(0, 3)).toEqual([
      "callback-api",
      "--service-name",
      "callback-support",
    ]);
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("projects the Basic-auth password from its Secret, never into the ConfigMap, and uses the database Secret", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Originated-Immediate",
          options: { ...routePoint, username: "app" },
          api: {
            replicas: 2,
            passwordSecretRef: { name: "auth" },
            databaseSecretRef: { name: "db" },
          },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(JSON.stringify(child(result, "ConfigMap"))).not.toContain("password");
    const spec = child(result, "Deployment")["spec"] as {
      replicas: number;
      template: { spec: { volumes: unknown[]; containers: { env: unknown[]; args: string[] }[] } };
    };
    expect(spec.replicas).toBe(2);
    expect(JSON.stringify(spec.template.spec.volumes)).toContain(
      '"secret":{"name":"auth","items":[{"key":"password","path":"password"}]}',
    );
    expect(spec.template.spec.containers[0]?.env).toEqual([
      {
        name: "CALLBACK_API_DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "db", key: "url" } },
      },
    ]);
    expect(spec.template.spec.containers[0]?.args).not.toContain("--data-dir");
  });

  it("uses the operator's default database Secret unless the service names its own", () => {
    const config = {
      ...defaultRenderConfig,
      defaultDatabaseSecret: { name: "shared-db", key: "dsn" },
    };
    const databaseEnv = (api: Record<string, unknown>) => {
      const result = ok(
        render(
          service({ scenario: "User-Terminated-Delayed", options: routePoint, api }),
          template,
          config,
        ),
      );
      const spec = child(result, "Deployment")["spec"] as {
        template: { spec: { containers: { env?: unknown[]; args: string[] }[] } };
      };
      return spec.template.spec.containers[0];
    };
    expect(databaseEnv({})?.env).toEqual([
      {
        name: "CALLBACK_API_DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "shared-db", key: "dsn" } },
      },
    ]);
    expect(databaseEnv({})?.args).not.toContain("--data-dir");
    expect(databaseEnv({ databaseSecretRef: { name: "own", key: "url" } })?.env).toEqual([
      {
        name: "CALLBACK_API_DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "own", key: "url" } },
      },
    ]);
  });

  describe("admin credentials (issue 17 item 6: GMS admin endpoints on the cluster)", () => {
    type Pod = {
      volumes: { name: string; secret?: unknown }[];
      containers: {
        env?: { name: string; valueFrom: unknown }[];
        args: string[];
        volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
      }[];
    };
    const pod = (api: Record<string, unknown>, adminCredentialsSecret?: string): Pod => {
      const result = ok(
        render(
          service({ scenario: "User-Terminated-Delayed", options: routePoint, api }),
          template,
          { ...defaultRenderConfig, adminCredentialsSecret },
        ),
      );
      const workload = result.children.find(
        (c) => c.kind === "StatefulSet" || c.kind === "Deployment",
      );
      return (workload?.["spec"] as { template: { spec: Pod } }).template.spec;
    };
    const adminParts = (spec: Pod) => ({
      env: spec.containers[0]?.env?.filter((e) => e.name === "CALLBACK_API_ADMIN_USERNAME"),
      args: spec.containers[0]?.args.slice(
        spec.containers[0].args.indexOf("--admin-password-file"),
      ),
      mount: spec.containers[0]?.volumeMounts.find((m) => m.name === "admin"),
      volume: spec.volumes.find((v) => v.name === "admin"),
    });
    const expected = (secret: string) => ({
      env: [
        {
          name: "CALLBACK_API_ADMIN_USERNAME",
          valueFrom: { secretKeyRef: { name: secret, key: "username" } },
        },
      ],
      args: ["--admin-password-file", "/etc/callback-operator/admin/password"],
      mount: { name: "admin", mountPath: "/etc/callback-operator/admin", readOnly: true },
      volume: {
        name: "admin",
        secret: { secretName: secret, items: [{ key: "password", path: "password" }] },
      },
    });

    it("renders none without the operator default or spec.api.adminSecretRef (admin endpoints off)", () => {
      const spec = pod({});
      expect(spec.containers[0]?.args).not.toContain("--admin-password-file");
      expect(spec.containers[0]?.env).toBeUndefined();
      expect(spec.volumes.map((v) => v.name)).not.toContain("admin");
    });

    it("takes the operator's --admin-credentials-secret: user name from env, password as a mounted file", () => {
      expect(adminParts(pod({}, "callback-admin"))).toEqual(expected("callback-admin"));
    });

    it("prefers spec.api.adminSecretRef to the operator default, beside the database Secret", () => {
      const spec = pod(
        { adminSecretRef: { name: "support-admin" }, databaseSecretRef: { name: "db" } },
        "callback-admin",
      );
      expect(adminParts(spec)).toEqual(expected("support-admin"));
      expect(spec.containers[0]?.env?.map((e) => e.name)).toEqual([
        "CALLBACK_API_DATABASE_URL",
        "CALLBACK_API_ADMIN_USERNAME",
      ]);
      expect(JSON.stringify(spec)).not.toContain("callback-admin");
    });
  });

  it("routes with an HTTPRoute to the named Gateway, at both GMS paths, with the host in the URL", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Immediate",
          options: routePoint,
          route: {
            host: "cb.example.com",
            parentRefs: [{ name: "public", namespace: "gateways" }],
          },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    const route = child(result, "HTTPRoute")["spec"] as {
      hostnames: string[];
      rules: { matches: { path: { value: string } }[] }[];
    };
    expect(route.hostnames).toEqual(["cb.example.com"]);
    expect(route.rules[0]?.matches.map((m) => m.path.value)).toEqual([
      "/genesys/1/service/callback/callback-support",
      "/genesys/2/service/callback/callback-support",
    ]);
    expect(result.facts.url).toBe(
      "https://cb.example.com/genesys/1/service/callback/callback-support",
    );
    // The Callback API builds record URLs from the routed host, never from request headers.
    const [container] = (
      child(result, "StatefulSet")["spec"] as {
        template: { spec: { containers: { args: string[] }[] } };
      }
    ).template.spec.containers;
    expect(container?.args).toContain("--external-url");
    expect(container?.args[container.args.indexOf("--external-url") + 1]).toBe(
      "https://cb.example.com",
    );
  });

  it("exposes metrics on a port of their own and passes no external URL without a host", () => {
    const result = ok(
      render(
        service({ scenario: "User-Terminated-Immediate", options: routePoint }),
        template,
        defaultRenderConfig,
      ),
    );
    const [container] = (
      child(result, "StatefulSet")["spec"] as {
        template: {
          spec: {
            containers: { args: string[]; ports: { name: string; containerPort: number }[] }[];
          };
        };
      }
    ).template.spec.containers;
    expect(container?.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "metrics", containerPort: 9464, protocol: "TCP" },
    ]);
    expect(container?.args).not.toContain("--external-url");
  });

  it("keeps the embedded database on a volume claim of one StatefulSet pod, never on an emptyDir (issue 16)", () => {
    const result = ok(
      render(
        service({ scenario: "User-Terminated-Immediate", options: routePoint }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(result.facts.workloadKind).toBe("StatefulSet");
    const spec = child(result, "StatefulSet")["spec"] as {
      replicas: number;
      serviceName: string;
      persistentVolumeClaimRetentionPolicy: Record<string, string>;
      volumeClaimTemplates: { metadata: { name: string }; spec: Record<string, unknown> }[];
      template: {
        spec: {
          volumes: { name: string; emptyDir?: unknown }[];
          containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
        };
      };
    };
    expect(spec.replicas).toBe(1);
    expect(spec.serviceName).toBe("callback-support");
    // Retained by default: a service created again with the same name finds its callbacks.
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    expect(spec.volumeClaimTemplates).toHaveLength(1);
    expect(spec.volumeClaimTemplates[0]?.metadata.name).toBe("data");
    expect(spec.volumeClaimTemplates[0]?.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
    });
    const [container] = spec.template.spec.containers;
    const args = container?.args ?? [];
    const dataDir = args[args.indexOf("--data-dir") + 1];
    expect(dataDir).toBeDefined();
    expect(container?.volumeMounts).toContainEqual({ name: "data", mountPath: dataDir });
    // The data volume is the claim: no pod volume of that name, and no emptyDir but /tmp's.
    expect(spec.template.spec.volumes.map((v) => v.name)).not.toContain("data");
    expect(
      spec.template.spec.volumes.filter((v) => v.emptyDir !== undefined).map((v) => v.name),
    ).toEqual(["tmp"]);
    expect(result.children.map((c) => c.kind)).not.toContain("Deployment");
  });

  it("takes the claim's size and class from spec.api.storage, else the operator's defaults, and deletes it with the service only when asked", () => {
    const claim = (api: Record<string, unknown>, config = defaultRenderConfig) => {
      const result = ok(
        render(
          service({ scenario: "User-Terminated-Immediate", options: routePoint, api }),
          template,
          config,
        ),
      );
      return child(result, "StatefulSet")["spec"] as {
        persistentVolumeClaimRetentionPolicy: Record<string, string>;
        volumeClaimTemplates: { spec: Record<string, unknown> }[];
      };
    };
    const own = claim({
      storage: { size: "5Gi", storageClassName: "fast-ssd", whenDeleted: "Delete" },
    });
    expect(own.volumeClaimTemplates[0]?.spec).toMatchObject({
      storageClassName: "fast-ssd",
      resources: { requests: { storage: "5Gi" } },
    });
    expect(own.persistentVolumeClaimRetentionPolicy["whenDeleted"]).toBe("Delete");
    const defaults = claim(
      {},
      { ...defaultRenderConfig, defaultStorageSize: "2Gi", defaultStorageClass: "standard" },
    );
    expect(defaults.volumeClaimTemplates[0]?.spec).toMatchObject({
      storageClassName: "standard",
      resources: { requests: { storage: "2Gi" } },
    });
  });

  it("runs PostgreSQL-backed services as a Deployment that surges (no pod out before its replacement is ready) and warns about an unused spec.api.storage", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Immediate",
          options: routePoint,
          api: { replicas: 2, databaseSecretRef: { name: "db" }, storage: { size: "5Gi" } },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(result.facts.workloadKind).toBe("Deployment");
    expect(result.children.map((c) => c.kind)).not.toContain("StatefulSet");
    expect((child(result, "Deployment")["spec"] as Record<string, unknown>)["strategy"]).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(result.facts.warnings).toContainEqual(
      expect.stringContaining("spec.api.storage: unused"),
    );
  });

  it("stalls an embedded service whose name is too long for its StatefulSet's pods, naming the fix", () => {
    const name = `cb-${"x".repeat(50)}`;
    const result = render(
      service({ scenario: "User-Terminated-Immediate", options: routePoint }, name),
      template,
      defaultRenderConfig,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("InvalidOptions");
    expect(result.message).toContain("at most 52");
    expect(result.message).toContain("spec.api.databaseSecretRef");
    const onPostgres = render(
      service(
        {
          scenario: "User-Terminated-Immediate",
          options: routePoint,
          api: { databaseSecretRef: { name: "db" } },
        },
        name,
      ),
      template,
      defaultRenderConfig,
    );
    expect(onPostgres.ok).toBe(true);
  });
});

describe("section-only services and the services a callback service names (gms-reference-2.md §2.3, §3; ADR 0102)", () => {
  const [officeHours, capacity] = builtinSectionTemplates;
  if (officeHours === undefined || capacity === undefined) throw new Error("no section templates");

  it.each([
    ["office-hours", officeHours, "Weekdays"],
    ["capacity", capacity, "Weekdays"],
  ] as const)("a %s service renders only its ConfigMap service.<name>", (_, tpl, scenario) => {
    const result = ok(
      render(
        service({ template: tpl.metadata.name, scenario }, "office"),
        tpl,
        defaultRenderConfig,
      ),
    );
    expect(result.children.map((c) => [c.kind, c.metadata.name])).toEqual([
      ["ConfigMap", "service.office"],
    ]);
    expect(child(result, "ConfigMap")["data"]).toEqual(result.effectiveOptions);
    expect(result.facts).toMatchObject({
      url: undefined,
      routeKind: undefined,
      workloadKind: undefined,
      warnings: [],
    });
  });

  it("a section-only service needs no route: no Gateway is no stall, and spec.api/spec.route are flagged unused", () => {
    const result = ok(
      render(
        service(
          {
            template: "office-hours",
            scenario: "Weekdays",
            api: { replicas: 2 },
            route: { host: "x.example" },
          },
          "office",
        ),
        officeHours,
        { ...defaultRenderConfig, routingMode: "httproute" },
      ),
    );
    expect(result.facts.warnings).toEqual([
      expect.stringMatching(/^spec\.api: unused, the service's template is section-only/),
      expect.stringMatching(/^spec\.route: unused, the service's template is section-only/),
    ]);
  });

  type Pod = {
    spec: {
      containers: {
        args: string[];
        volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
      }[];
      volumes: { name: string; configMap?: { name: string; optional?: boolean } }[];
    };
  };
  const podOf = (result: Extract<RenderResult, { ok: true }>): Pod =>
    (child(result, "StatefulSet")["spec"] as { template: Pod }).template;

  it("a callback service mounts each named service's ConfigMap, optional, beside (not inside) the config mount, and passes --services-dir", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Scheduled",
          options: { ...routePoint, _business_hours_service: "office", _capacity_service: "slots" },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    const pod = podOf(result);
    const [container] = pod.spec.containers;
    const args = container?.args ?? [];
    expect(args[args.indexOf("--services-dir") + 1]).toBe("/etc/callback-operator/services");
    expect(args[args.indexOf("--config-dir") + 1]).toBe("/etc/callback-operator/service");
    const mounts = container?.volumeMounts ?? [];
    expect(
      mounts.filter((m) => m.mountPath.startsWith("/etc/callback-operator/services/")),
    ).toEqual([
      {
        name: "linked-service-0",
        mountPath: "/etc/callback-operator/services/office",
        readOnly: true,
      },
      {
        name: "linked-service-1",
        mountPath: "/etc/callback-operator/services/slots",
        readOnly: true,
      },
    ]);
    // runc cannot create a mount point inside the read-only config volume.
    expect(mounts.some((m) => m.mountPath.startsWith("/etc/callback-operator/service/"))).toBe(
      false,
    );
    expect(pod.spec.volumes.filter((v) => v.name.startsWith("linked-service-"))).toEqual([
      { name: "linked-service-0", configMap: { name: "service.office", optional: true } },
      { name: "linked-service-1", configMap: { name: "service.slots", optional: true } },
    ]);
    expect(result.facts.warnings).toEqual([]);
  });

  it("one service named by both options is mounted once; none named, nothing mounted", () => {
    const both = podOf(
      ok(
        render(
          service({
            scenario: "User-Terminated-Scheduled",
            options: { ...routePoint, _business_hours_service: "both", _capacity_service: "both" },
          }),
          template,
          defaultRenderConfig,
        ),
      ),
    );
    expect(both.spec.volumes.filter((v) => v.configMap !== undefined)).toHaveLength(1);
    const none = podOf(
      ok(
        render(
          service({ scenario: "User-Terminated-Scheduled", options: routePoint }),
          template,
          defaultRenderConfig,
        ),
      ),
    );
    expect(none.spec.volumes.map((v) => v.name)).toEqual(["config", "tmp"]);
    expect(none.spec.containers[0]?.args).toContain("--services-dir");
  });

  it("a name that cannot be a CallbackService is not mounted and is flagged", () => {
    const result = ok(
      render(
        service({
          scenario: "User-Terminated-Scheduled",
          options: { ...routePoint, _business_hours_service: "Office_Hours" },
        }),
        template,
        defaultRenderConfig,
      ),
    );
    expect(podOf(result).spec.volumes.map((v) => v.name)).toEqual(["config", "tmp"]);
    expect(result.facts.warnings).toEqual([
      expect.stringContaining(
        'option _business_hours_service: "Office_Hours" cannot be the name of a CallbackService',
      ),
    ]);
  });
});

describe("options nothing acts on yet (issue 17, item 1)", () => {
  it("are named in the warnings of a service that sets them, and only then", () => {
    const warnings = (options: Record<string, string>) =>
      ok(
        render(
          service({ scenario: "User-Terminated-Delayed", options: { ...routePoint, ...options } }),
          template,
          defaultRenderConfig,
        ),
      ).facts.warnings;
    expect(warnings({})).toEqual([]);
    expect(
      warnings({ _request_queue_time_stat: "ExpectedWaitTime;Queue;8999@SIP_Server;Environment" }),
    ).toEqual([
      expect.stringMatching(/^option _request_queue_time_stat is set but not enforced: /),
    ]);
  });
});

// gms-reference-2.md §4.1–4.2 (the Android demo's DialNumber; request-access: the number comes from
// the `_resource_group` pool): a user-originated service without numbers can answer no DialNumber.
describe("a user-originated service without _access_numbers", () => {
  const warnings = (scenario: string, options: Record<string, string>) =>
    ok(render(service({ scenario, options }), template, defaultRenderConfig)).facts.warnings.filter(
      (w) => !w.startsWith("option _route_point is mandatory"),
    );

  it("is warned, naming the option to set and the resource group", () => {
    expect(warnings("User-Originated-Immediate", {})).toEqual([
      expect.stringMatching(
        /^option _call_direction is USERORIGINATED but _access_numbers is empty: .*set spec\.options\._access_numbers to the numbers of resource group DNIS/,
      ),
    ]);
    expect(warnings("User-Originated-Delayed", { _resource_group: "Mobile" })).toEqual([
      expect.stringContaining("resource group Mobile"),
    ]);
    expect(warnings("User-Originated-Immediate", { _access_numbers: "  " })).toHaveLength(1);
  });

  it("is not warned once it has numbers, nor when it is user-terminated", () => {
    expect(warnings("User-Originated-Immediate", { _access_numbers: "+18005550100" })).toEqual([]);
    expect(warnings("User-Terminated-Immediate", routePoint)).toEqual([]);
  });
});
