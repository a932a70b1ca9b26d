// The shapes of the console's JSON API as the page reads them (docs: the console contract).

export type Role = "Administrator" | "Supervisor" | "CallbackReadOnly";
export type Action = "view" | "cancel" | "reschedule" | "export";

export interface Session {
  readonly username: string;
  readonly groups: readonly string[];
  readonly via: "local" | "oidc";
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export interface SignInMethods {
  readonly local: boolean;
  readonly oidc: boolean;
}

export interface Column {
  readonly key: string;
  readonly label: string;
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly role: Role;
  readonly actions: readonly Action[];
  readonly ready: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly columns: readonly Column[];
  /** Why the service's Callback API gave no counts (unreachable, refused the admin), if it did not. */
  readonly problem?: string;
}

export interface ServiceList {
  readonly services: readonly Service[];
  readonly groups: readonly string[];
}

export interface Callback {
  readonly service: string;
  readonly id: string;
  readonly state: string;
  readonly desiredTime: string;
  readonly customerNumber: string;
  readonly reason: string;
  readonly custom: Readonly<Record<string, unknown>>;
}

export interface CallbackPage {
  readonly items: readonly Callback[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly columns: readonly Column[];
}

export interface CallbackDetails {
  readonly service: string;
  readonly id: string;
  readonly record: Readonly<Record<string, unknown>>;
}

export interface BulkCancelResult {
  readonly cancelled: readonly unknown[];
  readonly already_completed: readonly unknown[];
  readonly not_found: readonly unknown[];
  readonly forbidden: readonly unknown[];
}
