// A template name is the value of a label on every service using it: one longer than a label value
// stalls the service with a message naming spec.template, and is never put in a label.
import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../api/callback-service.ts";
import { labelKeys } from "../api/group.ts";
import { defaultRenderConfig } from "./render-config.ts";
import { render, templateNameProblems } from "./render.ts";

const longName = "t".repeat(64);

const service = (template: string) =>
  callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: "callback-support", namespace: "contact-centre", uid: "uid-1" },
    spec: {
      template,
      scenario: "User-Terminated-Immediate",
      options: { _route_point: "8999@SIP_Switch", _service_groups: "support" },
    },
  });

describe("a template name longer than a label value", () => {
  it("stalls the service (InvalidTemplate) naming spec.template, with no template label", () => {
    const template = {
      ...builtinCallbackTemplate,
      metadata: { ...builtinCallbackTemplate.metadata, name: longName },
    };
    const result = render(service(longName), template, defaultRenderConfig);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe("InvalidTemplate");
    expect(result.message).toBe(
      `spec.template: "${longName}" has 64 characters; CallbackServices can use only a ServiceTemplate whose name has at most 63, since it becomes the value of their label ${labelKeys.template}; give the template a shorter name`,
    );
    expect(result.serviceLabels).toEqual({ "group.callback-operator.io/support": "true" });
  });

  it("is a problem of the template itself; 63 characters are fine", () => {
    expect(templateNameProblems(longName)).toEqual([
      expect.stringContaining(`metadata.name: "${longName}" has 64 characters`),
    ]);
    expect(templateNameProblems("t".repeat(63))).toEqual([]);
    expect(render(service("t".repeat(63)), undefined, defaultRenderConfig)).toMatchObject({
      reason: "TemplateNotFound",
      serviceLabels: { [labelKeys.template]: "t".repeat(63) },
    });
  });
});
