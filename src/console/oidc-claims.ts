// The person an OpenID Connect sign-in names: a user name and groups read from the claims the
// flags name. The ID token's claims come first; the userinfo response fills a claim the ID token
// lacks (providers such as oidc-provider keep profile claims out of the ID token of a code flow).

export type ClaimSet = Readonly<Record<string, unknown>>;

export type ClaimsResult =
  | { readonly ok: true; readonly username: string; readonly groups: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * The session cookie holds the groups (about 4 KB in all), so it keeps at most 64. A person in more
 * is refused with the reason: dropping some could drop the very group a permission names.
 */
const MAX_GROUPS = 64;

export function personFromClaims(
  sources: readonly ClaimSet[],
  names: { readonly usernameClaim: string; readonly groupsClaim: string },
): ClaimsResult {
  const username = firstPresent(sources, names.usernameClaim);
  if (typeof username !== "string" || username.trim() === "") {
    return {
      ok: false,
      message: `the provider sent no user name in the claim "${names.usernameClaim}": have the issuer release it (ID token or userinfo), or set --oidc-username-claim to a claim it sends`,
    };
  }
  const groups = groupsOf(firstPresent(sources, names.groupsClaim));
  if (groups === undefined) {
    return {
      ok: false,
      message: `the claim "${names.groupsClaim}" is neither a string nor a list of strings: fix the issuer's groups mapper, or set --oidc-groups-claim to the claim holding the group names`,
    };
  }
  if (groups.length > MAX_GROUPS) {
    return {
      ok: false,
      message: `the claim "${names.groupsClaim}" lists ${String(groups.length)} groups, more than ${String(MAX_GROUPS)}: have the issuer send only the groups relevant to the console`,
    };
  }
  return { ok: true, username, groups };
}

/** True when a claim that the person needs is absent from every source: then userinfo is asked. */
export function lacksClaims(
  claims: ClaimSet,
  names: { readonly usernameClaim: string; readonly groupsClaim: string },
): boolean {
  return claims[names.usernameClaim] === undefined || claims[names.groupsClaim] === undefined;
}

function firstPresent(sources: readonly ClaimSet[], name: string): unknown {
  for (const claims of sources) {
    const value = claims[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** Absent: none. A string: one group. A list: its strings, deduplicated. Anything else: undefined. */
function groupsOf(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value === "string") return value === "" ? [] : [value];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === "string")) {
    return undefined;
  }
  return [...new Set(value.filter((entry) => entry !== ""))];
}
