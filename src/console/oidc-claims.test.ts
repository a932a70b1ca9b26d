import { describe, expect, it } from "vitest";
import { lacksClaims, personFromClaims } from "./oidc-claims.ts";

const NAMES = { usernameClaim: "preferred_username", groupsClaim: "groups" };

describe("personFromClaims", () => {
  it("reads the user name and a list of groups, deduplicated", () => {
    const result = personFromClaims(
      [{ sub: "1", preferred_username: "alice", groups: ["support", "sales", "support"] }],
      NAMES,
    );
    expect(result).toEqual({ ok: true, username: "alice", groups: ["support", "sales"] });
  });

  it("takes a single string as one group, and no claim as none", () => {
    expect(personFromClaims([{ preferred_username: "a", groups: "support" }], NAMES)).toMatchObject(
      {
        groups: ["support"],
      },
    );
    expect(personFromClaims([{ preferred_username: "a" }], NAMES)).toMatchObject({ groups: [] });
  });

  it("prefers the ID token and fills what it lacks from userinfo", () => {
    const result = personFromClaims(
      [
        { sub: "1", preferred_username: "alice" },
        { preferred_username: "other", groups: ["g"] },
      ],
      NAMES,
    );
    expect(result).toEqual({ ok: true, username: "alice", groups: ["g"] });
  });

  it("uses the claims the flags name", () => {
    const result = personFromClaims([{ email: "bob@example.com", roles: ["Supervisors"] }], {
      usernameClaim: "email",
      groupsClaim: "roles",
    });
    expect(result).toEqual({ ok: true, username: "bob@example.com", groups: ["Supervisors"] });
  });

  it.each([{}, { preferred_username: "" }, { preferred_username: 42 }])(
    "refuses %j, naming the missing user-name claim",
    (claims) => {
      const result = personFromClaims([claims], NAMES);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(
        /no user name in the claim "preferred_username"/,
      );
    },
  );

  it.each([{ groups: 7 }, { groups: ["a", 1] }, { groups: { a: true } }])(
    "refuses a groups claim %j that is neither a string nor a list of strings",
    (claims) => {
      const result = personFromClaims([{ preferred_username: "a", ...claims }], NAMES);
      expect(!result.ok && result.message).toMatch(/the claim "groups" is neither/);
    },
  );

  it("refuses more groups than it keeps rather than dropping some", () => {
    const groups = Array.from({ length: 65 }, (_, i) => `g${String(i)}`);
    const result = personFromClaims([{ preferred_username: "a", groups }], NAMES);
    expect(!result.ok && result.message).toMatch(/65 groups, more than 64/);
  });
});

describe("lacksClaims", () => {
  it("is true while the user name or the groups claim is absent", () => {
    expect(lacksClaims({ preferred_username: "a", groups: [] }, NAMES)).toBe(false);
    expect(lacksClaims({ preferred_username: "a" }, NAMES)).toBe(true);
    expect(lacksClaims({ groups: [] }, NAMES)).toBe(true);
  });
});
