// The GMS callback options: one row per option, the single source of what each option is. The
// built-in template's declarations are derived from it (builtin-callback-template.ts), render knows
// the legacy aliases from it, and the Callback API reads the options through the typed readers of
// gms-option-readers.ts, which take their defaults, allowed values and aliases from here
// (gms-options.drift.test.ts fails if the server reads otherwise). Sources: the GMS 8.5 Options
// pages, "Callback Scenarios", the 8.5.110 template of Genesys' functional tests; choices where
// Genesys is silent are in docs/adr/0022 and 0060.
import type { OptionType } from "./option-types.ts";
import { serviceGroupsOption } from "./service-groups.ts";

/**
 * GMS's classes of an option; an option may have more than one (mandatory and advanced, mandatory
 * and request), never both mandatory and optional.
 * - mandatory: GMS's lock icon; a service cannot remove it or set it empty;
 * - optional: a service may leave it out;
 * - advanced: shown only with Advanced Parameters in the GMS UI (informational here);
 * - request: normally sent with each REST request; a configured value overrides the request's.
 */
export type OptionClass = "mandatory" | "optional" | "advanced" | "request";

/** How the Callback API reads an option into a typed value (gms-option-readers.ts). */
export type OptionReader = "string" | "boolean" | "integer" | "enum" | "list" | "duration";

/**
 * Who acts on an option: the Callback API (and by which rule), the orchestration that receives each
 * due callback with the service's `_` options (the dispatch payload, dispatcher.ts), or nobody yet.
 * A service that sets a not-enforced option is warned (notEnforcedOptions, option-use.ts).
 */
export type OptionUse =
  | { readonly by: "callback-api"; readonly rule: string }
  | { readonly by: "orchestration" }
  | { readonly by: "not-enforced"; readonly why: string };

export interface GmsOption {
  readonly name: string;
  readonly use: OptionUse;
  /** Omitted: string. */
  readonly type?: OptionType;
  /** Allowed values of an enum, or allowed entries of a list. */
  readonly enum?: readonly string[];
  /** GMS's value when the service section does not set the option (the server then applies it). */
  readonly default?: string;
  /**
   * false: the built-in template does not write the default into new sections, so the option is
   * "not specified" until a service sets it (docs/adr/0022: the throttling defaults); the server
   * still applies the default when the option is not set.
   */
  readonly prefill?: false;
  readonly class: readonly [OptionClass, ...OptionClass[]];
  /** Older names GMS still reads for this option; the current name wins when both are set. */
  readonly aliases?: readonly string[];
  /** Set when the Callback API honours the option: how it reads the value. */
  readonly read?: OptionReader;
  /**
   * A blank value is the option's empty value rather than "not specified". For every other option
   * a blank value gives the default, as GMS treats an empty `_throttle_request_parameters` or
   * limit (gms-reference-2.md §6.2); GMS answers a blank `_default_country` with "… is not
   * configured" instead of using US.
   */
  readonly blankIsEmpty?: true;
  readonly category: string;
  readonly description: string;
}

const general = "General";
const userOriginated = "Voice - User Originated";
const userTerminated = "Voice - User Terminated";
const queueing = "URS Queueing";
const scheduled = "Scheduled Call";
const queueManagement = "Queue Management";
const treatment = "Voice Treatment";
const throttling = "Throttling";
const security = "Security";
const noCategory = "No Category";

/** Acted on by the orchestration: forwarded with each due callback, as GMS hands them to ORS. */
const passedOn = { by: "orchestration" } as const;

const treatmentDescription = (when: string): string =>
  `Treatment played ${when}: a media URI, or JSON {"file": ..., "hints": ...}. Not specified: the default treatment of the callback SCXML application.`;

/** Every GMS callback option the operator knows, in the order the built-in template lists them. */
export const gmsOptions = [
  // Service identity (GMS "No Category": set in the section, not in the UI).
  {
    name: "_type",
    use: passedOn,
    type: "enum",
    enum: ["builtin", "ors"],
    default: "ors",
    class: ["mandatory"],
    category: noCategory,
    description:
      "Engine type: ors (SCXML run by Orchestration Server) for callback services, or builtin (runs inside GMS).",
  },
  {
    name: "_service",
    use: {
      by: "callback-api",
      rule: "dispatch by ORS session: the SCXML URL sent as src (and passed on with every dispatch)",
    },
    default: "callback",
    class: ["mandatory"],
    read: "string",
    category: noCategory,
    description:
      "Built-in service name, or the URL of the SCXML application for type ors. With _ors_dispatch=session it must be an http(s) URL: ORS starts the session from it (src).",
  },
  {
    name: "_service_type",
    use: passedOn,
    class: ["optional"],
    category: noCategory,
    description:
      "Must be callback when _service is the URL of a custom callback SCXML application.",
  },
  {
    name: "_ors",
    use: {
      by: "callback-api",
      rule: "dispatch: the ORS base URLs a session is started on, or the URLs the webhook POSTs to",
    },
    type: "list",
    class: ["optional"],
    category: noCategory,
    description:
      "Comma-separated Orchestration Server URLs, overriding the GMS connections. A request may override it only if _overwritable_options lists it.",
  },
  {
    // Not a GMS option: GMS always starts an ORS session. The webhook came first here and stays
    // the default so that services set up for it keep working (docs/adr/0103).
    name: "_ors_dispatch",
    use: { by: "callback-api", rule: "dispatch: start an ORS session, or POST the JSON webhook" },
    type: "enum",
    enum: ["webhook", "session"],
    default: "webhook",
    prefill: false,
    class: ["optional"],
    read: "enum",
    category: noCategory,
    description:
      "How a due callback goes to _ors. session: as GMS, POST <ors>/scxml/session/start (form) with src=_service and the callback's _ parameters; the session id is kept as _ors_session_id. webhook: POST the callback as JSON to each _ors URL as written. Not a GMS option.",
  },
  {
    name: "_ors_lb_strategy",
    use: { by: "callback-api", rule: "dispatch by ORS session: which _ors node is tried first" },
    type: "enum",
    enum: ["circular", "linear"],
    default: "circular",
    prefill: false,
    class: ["optional"],
    read: "enum",
    category: noCategory,
    description:
      "With _ors_dispatch=session: circular starts each session on the next _ors node in turn (round robin); linear always on the first available one. A node that cannot be reached or answers 5xx passes the request to the next.",
  },
  {
    name: "_overwritable_options",
    use: { by: "callback-api", rule: "start: which of _ors and _target a request may override" },
    type: "list",
    enum: ["_ors", "_target"],
    class: ["optional"],
    read: "list",
    category: noCategory,
    description:
      "Options a request may override: only _ors and _target are allowed. Any option value containing $token$ is also replaced by the request parameter token.",
  },
  {
    name: "_customer_number",
    use: {
      by: "callback-api",
      rule: "start: E.164 normalisation, impossible and premium numbers, in-queue checking, daily throttle",
    },
    class: ["mandatory", "request"],
    category: noCategory,
    description:
      "Request parameter: the customer's phone number to call, or to match the inbound call.",
  },
  {
    name: "_customer_lookup_keys",
    use: {
      by: "callback-api",
      rule: "queries return every stored property, a superset of these keys",
    },
    type: "list",
    default: "_customer_number",
    class: ["optional"],
    read: "list",
    category: noCategory,
    description: "Comma-separated keys by which callbacks of this service can be queried.",
  },
  {
    name: "_mandatory_customer_lookup_keys",
    use: { by: "callback-api", rule: "start: a request missing one is refused (400)" },
    type: "list",
    default: "_customer_number",
    class: ["mandatory"],
    read: "list",
    category: noCategory,
    description:
      "Comma-separated keys every start request must carry; a request missing one gets HTTP 400.",
  },
  {
    name: "_originating_interaction_id",
    use: passedOn,
    class: ["optional", "request"],
    category: noCategory,
    description:
      "Request parameter: the interaction that originated the request; reporting key-value pairs are attached to it.",
  },
  {
    name: serviceGroupsOption,
    use: {
      by: "callback-api",
      rule: "records and the admin listing show the groups; the admin services= filter matches them",
    },
    type: "list",
    class: ["optional"],
    read: "list",
    category: noCategory,
    description:
      "Comma-separated virtual service groups (GMS 8.5.207), e.g. support, blackfriday. A user whose gms/services names a group sees every service in it. Each group is a label name and becomes the label group.callback-operator.io/<group>.",
  },
  {
    name: "username",
    use: { by: "callback-api", rule: "HTTP Basic credentials of the service's endpoints" },
    class: ["optional"],
    read: "string",
    category: security,
    description:
      "GMS per-service HTTP Basic authentication: requests must present this user name and the password of spec.api.passwordSecretRef, else 401.",
  },
  // General.
  {
    name: "_call_direction",
    use: {
      by: "callback-api",
      rule: "start: USERORIGINATED with _wait_for_agent false answers DialNumber; dialog continuation DialNumber",
    },
    type: "enum",
    enum: ["USERORIGINATED", "USERTERMINATED"],
    default: "USERORIGINATED",
    class: ["optional"],
    read: "enum",
    category: general,
    description:
      "USERORIGINATED: the customer dials in (to an access number); USERTERMINATED: the contact center dials the customer.",
  },
  {
    name: "_media_type",
    use: passedOn,
    type: "enum",
    enum: ["voice"],
    default: "voice",
    class: ["optional"],
    category: general,
    description: "Media of the callback. GMS 8.5 documents voice only.",
  },
  {
    name: "_wait_for_agent",
    use: {
      by: "callback-api",
      rule: "start: USERORIGINATED with _wait_for_agent false answers DialNumber at once",
    },
    type: "boolean",
    default: "true",
    class: ["mandatory"],
    read: "boolean",
    category: general,
    description:
      "Wait for an agent before notifying or connecting the customer; false starts at once and returns the access information immediately.",
  },
  {
    name: "_wait_for_user_confirm",
    use: passedOn,
    type: "boolean",
    default: "false",
    class: ["optional"],
    category: general,
    description:
      "Push a notification to the customer's device and wait for the customer to confirm being ready. Only with _wait_for_agent true.",
  },
  {
    name: "_user_confirm_timeout",
    use: passedOn,
    type: "integer",
    default: "30",
    class: ["mandatory"],
    category: general,
    description: "Seconds to wait for the customer's confirmation.",
  },
  {
    name: "_business_hours_service",
    use: {
      by: "callback-api",
      rule: "scheduled start and reschedule inside office hours (400), availability slots, the Calendar Service API",
    },
    class: ["optional"],
    read: "string",
    category: general,
    description:
      "Name of the office-hours service that checks desired times and provides the available slots. Needed for scheduled callbacks.",
  },
  {
    name: "_capacity_service",
    use: {
      by: "callback-api",
      rule: "per-slot limit of scheduled starts (400 CallbackExceptionTimeSlotFull), availability totals, the Capacity API",
    },
    class: ["optional"],
    read: "string",
    category: general,
    description:
      "Name of the capacity service that limits scheduled callbacks per time slot. Not specified: only _max_request_by_time_bucket limits them.",
  },
  {
    name: "_ttl",
    use: {
      by: "callback-api",
      rule: "records are purged this long after their desired time; older desired times are refused",
    },
    type: "integer",
    default: "86400",
    class: ["mandatory"],
    read: "integer",
    category: general,
    description: "Seconds a callback record is kept after its desired time, then purged.",
  },
  {
    name: "_attach_udata",
    use: passedOn,
    type: "enum",
    enum: ["separate_keys", "single_json", "gms_storage_id"],
    default: "single_json",
    class: ["optional"],
    category: general,
    description:
      "How user data reaches the agent: separate_keys (one key each), single_json (one GMS_UserData key), or gms_storage_id (a storage id).",
  },
  {
    name: "_agent_transfer_confirm_timeout",
    use: passedOn,
    type: "integer",
    default: "0",
    class: ["mandatory", "advanced"],
    category: general,
    description: "Seconds to wait for transfer-confirmation events; 0 does not wait.",
  },
  {
    name: "_ixn_redirect_hints",
    use: passedOn,
    type: "json",
    class: ["optional"],
    category: general,
    description: 'Hints for ixn:redirect, as JSON, e.g. {"CPNDigits": "5551234"}.',
  },
  {
    name: "_do_not_call_items",
    use: passedOn,
    class: ["optional"],
    category: general,
    description:
      "threshold,earliest,latest (GMS 8.5.224): the window, in Orchestration Server local time, in which the customer may be called.",
  },
  // Voice - User Originated.
  {
    name: "_provide_code",
    use: {
      by: "callback-api",
      rule: "DialNumber carries a random _access_code of _access_code_length digits",
    },
    type: "boolean",
    default: "false",
    class: ["mandatory"],
    read: "boolean",
    category: userOriginated,
    description: "Return a random access code that authenticates the customer's inbound call.",
  },
  {
    name: "_booking_expiration_timeout",
    use: {
      by: "callback-api",
      rule: "seconds an access number stays booked for the callback, then returns to the pool",
    },
    type: "integer",
    default: "30",
    class: ["mandatory"],
    read: "integer",
    category: userOriginated,
    description: "Seconds an access number stays booked for the customer.",
  },
  {
    name: "_userorig_connect_limit",
    use: {
      by: "callback-api",
      rule: "DialNumber answers per callback (start and dialog continuations)",
    },
    type: "integer",
    default: "3",
    class: ["optional"],
    read: "integer",
    category: userOriginated,
    description: "How many times a customer may request to (re)connect.",
  },
  {
    name: "_resource_group",
    use: {
      by: "callback-api",
      rule: "names the access-number pool in the booking and the DialNumber dialog",
    },
    default: "DNIS",
    class: ["optional"],
    read: "string",
    category: userOriginated,
    description:
      "Resource group (pool of access numbers, GMS_Resources) the customer dials in to. Fill in for user-originated scenarios.",
  },
  {
    name: "_access_numbers",
    use: {
      by: "callback-api",
      rule: "the access numbers of the _resource_group pool a DialNumber dialog books one of",
    },
    type: "list",
    class: ["optional"],
    read: "list",
    category: userOriginated,
    description:
      "Comma-separated access numbers of the _resource_group pool (GMS keeps them under Transactions/GMS_Resources), e.g. +18005550100, +18005550101. A user-originated request books one for _booking_expiration_timeout seconds; a number booked by a callback of any service is not given to another until it expires.",
  },
  {
    name: "_access_code_length",
    use: { by: "callback-api", rule: "digits of the _access_code a DialNumber dialog carries" },
    type: "integer",
    default: "6",
    class: ["optional"],
    read: "integer",
    category: userOriginated,
    description:
      "Digits of the access code returned when _provide_code is true (1 to 32; GMS request-access default 6).",
  },
  // Voice - User Terminated.
  {
    name: "_userterminated_first_connect_party",
    use: passedOn,
    type: "enum",
    enum: ["CUSTOMER", "AGENT"],
    default: "CUSTOMER",
    class: ["optional"],
    category: userTerminated,
    description: "Who is dialled first: the customer, or the agent.",
  },
  {
    name: "_route_point",
    use: passedOn,
    class: ["mandatory"],
    category: userTerminated,
    description:
      "Route point used to create the outbound call, as RP@Switch. Fill in for user-terminated scenarios.",
  },
  {
    name: "_agent_first_via_rp",
    use: passedOn,
    type: "boolean",
    default: "false",
    class: ["mandatory"],
    category: userTerminated,
    description: "With the agent dialled first, dial from the route point (GMS 8.5.108.02).",
  },
  {
    name: "_trunk_group",
    use: passedOn,
    class: ["optional"],
    category: userTerminated,
    description: "Trunk group for agent-first calls (GMS 8.5.201.04).",
  },
  {
    name: "_agent_first_via_tg",
    use: passedOn,
    type: "boolean",
    default: "false",
    class: ["optional"],
    category: userTerminated,
    description: "With the agent dialled first, dial through _trunk_group (GMS 8.5.201.04).",
  },
  {
    name: "_on_user_confirm_timeout",
    use: passedOn,
    default: "CONNECT-ANYWAY",
    class: ["optional"],
    category: userTerminated,
    description:
      "What happens when the customer does not confirm in time: CONNECT-ANYWAY dials anyway; otherwise the callback ends with FAIL_USER_NO_CONFIRM.",
  },
  {
    name: "_max_dial_attempts",
    use: passedOn,
    type: "integer",
    default: "3",
    class: ["optional"],
    category: userTerminated,
    description: "How many times the customer is dialled.",
  },
  {
    name: "_dial_retry_timeout",
    use: passedOn,
    type: "integer",
    default: "300",
    class: ["optional"],
    category: userTerminated,
    description: "Seconds between dial attempts.",
  },
  {
    name: "_cpd_enable",
    use: passedOn,
    type: "boolean",
    default: "true",
    class: ["optional"],
    category: userTerminated,
    description: "Call-progress detection on the outbound call (answering machines, fax).",
  },
  {
    name: "_prefix_dial_out",
    use: passedOn,
    class: ["optional"],
    category: userTerminated,
    description: "Digits dialled before the customer's number, e.g. 91. Not specified: none.",
  },
  {
    name: "_agent_preview",
    use: passedOn,
    type: "boolean",
    default: "false",
    class: ["optional"],
    category: userTerminated,
    description:
      "Preview mode: the agent accepts or cancels the callback before the customer is dialled.",
  },
  {
    name: "_agent_preview_timeout",
    use: passedOn,
    type: "integer",
    default: "30",
    class: ["optional"],
    category: userTerminated,
    description: "Seconds the agent has to accept a preview.",
  },
  {
    name: "_agent_preview_allow_reject",
    use: passedOn,
    type: "integer",
    default: "0",
    class: ["optional"],
    category: userTerminated,
    description:
      "How many times agents may reject a preview before the callback ends (AGENT_PREVIEW_CANCEL_AFTER_<n>REJECTS); 0 forbids rejecting.",
  },
  {
    name: "_agent_disposition_timeout",
    use: passedOn,
    type: "integer",
    default: "45",
    class: ["optional"],
    category: userTerminated,
    description: "Seconds the agent has to set a disposition.",
  },
  // URS Queueing.
  {
    name: "_target",
    use: passedOn,
    default: "{specify your target here}",
    class: ["optional"],
    category: queueing,
    description:
      "Routing target: Target@StatServer.Type (Type A, AP, GA, GP or GC, optionally ?:skill expression), or a JSON array of at most 15 {target, timeout, clear, stat_to_check, stat_operator, stat_value}. Fill in for every scenario.",
  },
  {
    name: "_urs_virtual_queue",
    use: passedOn,
    default: "{Specify virtual queue to be used by strategy}",
    class: ["optional"],
    category: queueing,
    description: "Virtual queue the request is queued to. Fill in for every scenario.",
  },
  {
    name: "_urs_queued_ttl",
    use: passedOn,
    type: "integer",
    default: "14400",
    class: ["optional"],
    category: queueing,
    description: "Maximum seconds a request stays queued in URS.",
  },
  {
    name: "_urs_strategy_update_sub_routine",
    use: passedOn,
    default: "SetRouteDelay",
    class: ["optional"],
    category: queueing,
    description: "URS subroutine that updates the strategy.",
  },
  {
    name: "_urs_prioritization_strategy",
    use: passedOn,
    default: "WaitForTarget",
    class: ["optional"],
    category: queueing,
    description: "URS strategy that prioritizes the request.",
  },
  {
    name: "_urs_request_timeout",
    use: passedOn,
    type: "integer",
    default: "100",
    class: ["optional"],
    category: queueing,
    description: "Seconds to wait for a URS response.",
  },
  {
    name: "_urs_ewt_estimation_method",
    use: passedOn,
    default: "ursdial",
    class: ["optional"],
    category: queueing,
    description: "How URS estimates the expected waiting time.",
  },
  // Scheduled Call.
  {
    name: "_desired_time",
    use: {
      by: "callback-api",
      rule: "scheduled start: time bucket, _reject_future_desired_time, _ttl",
    },
    type: "datetime",
    class: ["optional", "request"],
    category: scheduled,
    description:
      "Request parameter: when the customer wants the callback, ISO-8601 UTC (yyyy-MM-ddTHH:mm:ss.SSSZ). Absent: as soon as possible.",
  },
  {
    name: "_request_time_bucket",
    use: { by: "callback-api", rule: "scheduled start and availability: bucket length" },
    type: "enum",
    enum: ["5", "10", "15", "20", "30", "60", "120"],
    default: "5",
    class: ["optional"],
    read: "integer",
    category: scheduled,
    description: "Minutes of one time bucket; scheduled requests are counted per bucket.",
  },
  {
    name: "_max_request_by_time_bucket",
    use: { by: "callback-api", rule: "scheduled start and availability: callbacks per bucket" },
    type: "integer",
    default: "100",
    class: ["optional"],
    read: "integer",
    category: scheduled,
    description: "Maximum scheduled requests in one time bucket.",
  },
  {
    name: "_reject_future_desired_time",
    use: {
      by: "callback-api",
      rule: "scheduled start and reschedule: later desired times are refused",
    },
    type: "duration",
    default: "1M",
    class: ["optional"],
    read: "duration",
    category: scheduled,
    description:
      "Reject desired times further ahead than this: a number and y, M (months), w, d, h or m (minutes), e.g. 1M.",
  },
  {
    name: "_request_execution_time_buffer",
    use: {
      by: "callback-api",
      rule: "dispatch: a scheduled callback is due this long before its desired time",
    },
    type: "integer",
    default: "120",
    class: ["optional"],
    read: "integer",
    category: scheduled,
    description:
      "Seconds before the desired time at which the request is submitted to Orchestration Server.",
  },
  {
    name: "_desired_connect_time_threshold",
    use: passedOn,
    type: "integer",
    default: "180",
    class: ["optional"],
    category: scheduled,
    description:
      "Seconds: the SCXML application waits if it runs this much before the desired time. Keep it above _request_execution_time_buffer.",
  },
  {
    name: "_request_queue_time_stat",
    use: {
      by: "not-enforced",
      why: "GMS polls this statistic before submitting a queued request; here a callback is handed over as soon as it is due",
    },
    class: ["optional"],
    category: scheduled,
    description:
      "Statistic that decides when a queued request is submitted, e.g. ExpectedWaitTime;Queue;8999@SIP_Server;Environment.",
  },
  // Queue Management.
  {
    name: "_default_country",
    use: { by: "callback-api", rule: "start and queries: country of national numbers" },
    default: "US",
    class: ["optional"],
    read: "string",
    blankIsEmpty: true,
    category: queueManagement,
    description:
      "ISO 3166 country of numbers without a country code; used to reject impossible and premium numbers (GMS 8.5.107.19).",
  },
  {
    name: "_disallow_impossible_phone_numbers",
    use: { by: "callback-api", rule: "start: impossible numbers are refused" },
    type: "boolean",
    default: "true",
    class: ["optional"],
    read: "boolean",
    category: queueManagement,
    description: "Reject numbers that cannot be parsed for _default_country.",
  },
  {
    name: "_disallow_premium_phone_numbers",
    use: { by: "callback-api", rule: "start: premium-rate numbers are refused" },
    type: "boolean",
    default: "true",
    class: ["optional"],
    read: "boolean",
    category: queueManagement,
    description: "Reject premium-rate numbers (e.g. 900).",
  },
  {
    name: "_enable_in_queue_checking",
    use: { by: "callback-api", rule: "start: callbacks already active for the number" },
    type: "enum",
    enum: ["true", "false", "strict"],
    default: "true",
    class: ["optional"],
    read: "enum",
    category: queueManagement,
    description:
      "Refuse a callback if the number already has queued callbacks: true allows 2, strict allows 1, false does not check.",
  },
  {
    name: "_enable_reject_out_of_office_hours",
    use: {
      by: "callback-api",
      rule: "immediate start while the office is closed (400 CallbackExceptionOutOfOfficeHours)",
    },
    type: "boolean",
    default: "false",
    class: ["optional"],
    read: "boolean",
    category: queueManagement,
    description: "Reject requests outside the office hours of _business_hours_service.",
  },
  {
    name: "_max_queued_callbacks_per_service",
    use: { by: "callback-api", rule: "start and reschedule into the queue: queue cap (503)" },
    type: "integer",
    default: "1000",
    class: ["optional"],
    aliases: ["max_queued_callbacks_per_service"],
    read: "integer",
    category: queueManagement,
    description:
      "Maximum callbacks queued for this service; beyond it a start request gets HTTP 503.",
  },
  // Voice Treatment.
  {
    name: "_treatment_waiting_for_agent",
    use: passedOn,
    class: ["optional"],
    category: treatment,
    description: treatmentDescription("while the customer waits for an agent"),
  },
  {
    name: "_treatment_customer_connect",
    use: passedOn,
    class: ["optional"],
    category: treatment,
    description: treatmentDescription("when the customer answers"),
  },
  {
    name: "_treatment_find_agent_fail",
    use: passedOn,
    class: ["optional"],
    category: treatment,
    description: treatmentDescription("when no agent is found"),
  },
  {
    name: "_treatment_call_failure_answering_machine",
    use: passedOn,
    class: ["optional"],
    category: treatment,
    description: treatmentDescription("when an answering machine answers"),
  },
  // Throttling (also settable in the GMS callback section; the service value wins).
  {
    name: "_throttle_callbacks_per_service_1",
    use: { by: "callback-api", rule: "start: per-service rate, first window (503)" },
    type: "integer",
    default: "500",
    prefill: false,
    class: ["optional"],
    read: "integer",
    category: throttling,
    description:
      "Maximum callbacks started (immediate and scheduled) for this service within _throttle_ttl_1 seconds; beyond it a start gets HTTP 503.",
  },
  {
    name: "_throttle_ttl_1",
    use: { by: "callback-api", rule: "start: per-service rate, first window" },
    type: "integer",
    default: "300",
    prefill: false,
    class: ["optional"],
    read: "integer",
    category: throttling,
    description: "Seconds of the first throttling window.",
  },
  {
    name: "_throttle_callbacks_per_service_2",
    use: { by: "callback-api", rule: "start: per-service rate, second window (503)" },
    type: "integer",
    default: "1000",
    prefill: false,
    class: ["optional"],
    read: "integer",
    category: throttling,
    description:
      "Maximum callbacks started (immediate and scheduled) for this service within _throttle_ttl_2 seconds; beyond it a start gets HTTP 503.",
  },
  {
    name: "_throttle_ttl_2",
    use: { by: "callback-api", rule: "start: per-service rate, second window" },
    type: "integer",
    default: "3600",
    prefill: false,
    class: ["optional"],
    read: "integer",
    category: throttling,
    description: "Seconds of the second throttling window.",
  },
  {
    name: "_throttle_request_parameters",
    use: { by: "callback-api", rule: "immediate start: parameters of the daily throttle" },
    type: "list",
    default: "_customer_number",
    prefill: false,
    class: ["optional"],
    read: "list",
    category: throttling,
    description: "Request parameters whose values are throttled per day, e.g. _customer_number.",
  },
  {
    name: "_throttle_request_parameters_limit",
    use: { by: "callback-api", rule: "immediate start: daily throttle per parameter value (503)" },
    type: "integer",
    default: "6",
    prefill: false,
    class: ["optional"],
    aliases: ["_throttle_customer_number_limit"],
    read: "integer",
    category: throttling,
    description: "Maximum requests per day with the same value of a throttled parameter.",
  },
  {
    name: "_enable_throttle_header_parameters",
    use: { by: "callback-api", rule: "immediate start: the daily throttle reads header values" },
    type: "boolean",
    default: "true",
    prefill: false,
    class: ["optional"],
    read: "boolean",
    category: throttling,
    description:
      "A _throttle_request_parameters entry sent as an HTTP header is throttled by the header's value, which wins over a body value of the same name (GMS 8.5.111.04). false: headers are not read.",
  },
  {
    name: "_callback_events_list",
    use: passedOn,
    class: ["optional"],
    category: noCategory,
    description: "Kept from the GMS template, which leaves it empty; Genesys documents no meaning.",
  },
  // Keys of the GMS 8.5.110 template whose values the references give (gms-reference.md §2, "The
  // 8.5.110 template has ≈100 keys"); Genesys documents neither, so the callback application in the
  // orchestration interprets them (docs/adr/0113).
  {
    name: "_snooze_duration",
    use: passedOn,
    type: "integer",
    default: "300",
    class: ["optional"],
    category: noCategory,
    description:
      "Kept from the GMS 8.5.110 template, which sets 300; Genesys documents no meaning. Passed on to the orchestration with each callback.",
  },
  {
    name: "_max_time_to_wait_for_agent_on_the_call",
    use: passedOn,
    type: "integer",
    default: "3600",
    class: ["optional"],
    category: noCategory,
    description:
      "Kept from the GMS 8.5.110 template, which sets 3600; Genesys documents no meaning. Passed on to the orchestration with each callback.",
  },
] as const satisfies readonly GmsOption[];

/** Legacy name → current name, for every alias in the table. */
export const gmsOptionAliases: ReadonlyMap<string, string> = new Map(
  (gmsOptions as readonly GmsOption[]).flatMap((option) =>
    (option.aliases ?? []).map((alias) => [alias, option.name] as const),
  ),
);
