// The API group, its version and kinds, and the label and annotation keys the operator writes or reads.

/** API group of every kind this operator serves. */
export const apiGroup = "callback-operator.io";

/** The one served and stored version. */
export const apiVersionName = "v1alpha1";

/** `apiVersion` of every object of this API. */
export const apiVersion = `${apiGroup}/${apiVersionName}` as const;

/** `kubectl get callback` lists every kind of this API. */
export const apiCategory = "callback";

/** Kind names, plurals and short names, as registered in the CRDs. */
export const kinds = {
  callbackService: {
    kind: "CallbackService",
    listKind: "CallbackServiceList",
    plural: "callbackservices",
    singular: "callbackservice",
    shortNames: ["cbs"],
  },
  serviceTemplate: {
    kind: "ServiceTemplate",
    listKind: "ServiceTemplateList",
    plural: "servicetemplates",
    singular: "servicetemplate",
    shortNames: ["svctpl"],
  },
  consolePermission: {
    kind: "ConsolePermission",
    listKind: "ConsolePermissionList",
    plural: "consolepermissions",
    singular: "consolepermission",
    shortNames: ["cperm"],
  },
} as const;

/** Name of the built-in template (and the default of `CallbackService.spec.template`). */
export const builtinTemplateName = "callback";

/** Label keys the operator puts on every child of a CallbackService (and on the service itself). */
export const labelKeys = {
  /** Name of the ServiceTemplate the service is created from. */
  template: "callback-operator.io/template",
  /** Name of the owning CallbackService. */
  service: "callback-operator.io/service",
  /** Always `managedByValue` on objects the operator creates. */
  managedBy: "app.kubernetes.io/managed-by",
} as const;

export const managedByValue = "callback-operator";

/** One label per GMS virtual service group: `group.callback-operator.io/<group>: "true"`. */
export const groupLabelPrefix = "group.callback-operator.io/";
export const groupLabelValue = "true";

/** The label key for a service group; the group must already be a valid label name (see service-groups.ts). */
export function groupLabelKey(group: string): string {
  return `${groupLabelPrefix}${group}`;
}

/** Annotation keys the operator reads or writes. */
export const annotationKeys = {
  /**
   * On a built-in ServiceTemplate: the hash of the content the operator last applied to it, so a
   * restart of the same version sends nothing (docs/adr/0112).
   */
  builtinRevision: "callback-operator.io/builtin-revision",
  /** Any new value forces a reconcile; the value is echoed to `status.lastHandledReconcileAt`. */
  requestedAt: "callback-operator.io/requested-at",
} as const;
