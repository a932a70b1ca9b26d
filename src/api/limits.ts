// Size bounds of every string, list and map in the API. The apiserver needs them to bound the cost
// of CEL rules (it rejects a CRD whose estimated cost is too high), and they keep any one object
// far below etcd's request size limit. Raise them with care: crds/ must still be accepted.

export const limits = {
  /** GMS option names (ConfigMap keys). The longest in the 8.5.110 template has 40 characters. */
  optionName: 128,
  /** One option value. `_target` (a JSON array of up to 15 targets) is the longest in practice. */
  optionValue: 4096,
  /** Options set in one CallbackService (the 8.5.110 template has about 100 keys). */
  serviceOptions: 256,
  /** Entries of `spec.removedOptions`. */
  removedOptions: 128,
  /** Options a ServiceTemplate declares. */
  templateOptions: 256,
  /** Allowed values of one enum option, and the length of each. */
  enumValues: 32,
  enumValue: 256,
  /** Scenarios (Common Default Configurations) of one template. */
  scenarios: 32,
  /** Scenario names, e.g. `User-Terminated-Delayed`. */
  scenarioName: 63,
  /** Option values one scenario presets (GMS presets set four). */
  scenarioValues: 32,
  /** Free-text descriptions. */
  description: 2048,
  /** Short identifiers: service types, option categories. */
  shortText: 63,
  /** Groups in `_service_groups`. */
  serviceGroups: 32,
  /** One group: a label name. */
  groupName: 63,
  /** Kubernetes object names (DNS subdomains) and Secret keys. */
  objectName: 253,
  /** Namespace names and label values. */
  labelValue: 63,
  /** Label keys with a prefix (`prefix/name`). */
  qualifiedName: 317,
  /** Annotations on pods and routes. */
  annotations: 64,
  annotationValue: 4096,
  /** Container image references. */
  image: 512,
  /** Entries of `resources.requests` or `resources.limits`, and each quantity. */
  resources: 16,
  quantity: 64,
  /** Node selector entries, tolerations, topology spread constraints. */
  nodeSelector: 32,
  tolerations: 32,
  topologySpreadConstraints: 8,
  /** Gateway API parent references of one route. */
  parentRefs: 8,
  /** Host names. */
  host: 253,
  /** Status: conditions, warnings, messages, URLs, hashes. */
  conditions: 16,
  conditionType: 316,
  conditionReason: 1024,
  conditionMessage: 32768,
  warnings: 64,
  warning: 1024,
  url: 2048,
  hash: 128,
  timestamp: 64,
} as const;
