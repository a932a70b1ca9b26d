// Sessions (docs/adr/0131): a signed cookie holds the whole session (who, since when, last seen),
// so replicas sharing --session-key-file share sessions and a restart keeps them. HMAC-SHA256
// signs it; an absolute expiry (--session-ttl) and an idle one (--session-idle) end it; sign-out
// revokes its id in memory. The CSRF token is derived from the session id with the key, so it
// needs no storage either; the sign-in form has its own login token (a signed double-submit).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../runtime/clock.ts";
import type { Person } from "./permissions.ts";

export const sessionCookie = "cbo_session";
export const loginCookie = "cbo_login";
/** Groups kept in a session: a cookie is at most about 4 KB. */
const MAX_GROUPS = 64;
const MAX_GROUP_LENGTH = 256;

export interface SessionOptions {
  readonly key: Buffer;
  readonly ttlMs: number;
  readonly idleMs: number;
  /** Cookies get `Secure` (the console is served over https). */
  readonly secure: boolean;
  readonly clock: Clock;
}

export interface Session {
  readonly id: string;
  readonly person: Person;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly seenAt: number;
  readonly csrfToken: string;
}

interface Payload {
  readonly sid: string;
  readonly u: string;
  readonly g: string[];
  readonly via: "local" | "oidc";
  readonly iat: number;
  readonly exp: number;
  readonly seen: number;
}

function isPayload(value: unknown): value is Payload {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p["sid"] === "string" &&
    typeof p["u"] === "string" &&
    Array.isArray(p["g"]) &&
    p["g"].every((group) => typeof group === "string") &&
    (p["via"] === "local" || p["via"] === "oidc") &&
    typeof p["iat"] === "number" &&
    typeof p["exp"] === "number" &&
    typeof p["seen"] === "number"
  );
}

/** Cookies of a request by name (the first of each name). */
export function readCookies(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Sessions {
  readonly #options: SessionOptions;
  /** Signed-out session ids until their absolute expiry. */
  readonly #revoked = new Map<string, number>();

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  #sign(purpose: string, text: string): string {
    return createHmac("sha256", this.#options.key)
      .update(`${purpose}\n${text}`)
      .digest("base64url");
  }

  #cookie(name: string, value: string, maxAgeSeconds: number, sameSite: "Lax" | "Strict"): string {
    const secure = this.#options.secure ? "; Secure" : "";
    return `${name}=${value}; Path=/; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAgeSeconds}${secure}`;
  }

  #encode(payload: Payload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${body}.${this.#sign("session", body)}`;
  }

  #decode(value: string): Payload | undefined {
    const [body, signature, extra] = value.split(".");
    if (body === undefined || signature === undefined || extra !== undefined) return undefined;
    if (!equalText(signature, this.#sign("session", body))) return undefined;
    try {
      const payload: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      return isPayload(payload) ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  #toSession(payload: Payload): Session {
    return {
      id: payload.sid,
      person: { username: payload.u, groups: payload.g, via: payload.via },
      issuedAt: payload.iat,
      expiresAt: payload.exp,
      seenAt: payload.seen,
      csrfToken: this.#sign("csrf", payload.sid),
    };
  }

  #write(reply: FastifyReply, payload: Payload): void {
    const maxAge = Math.max(0, Math.ceil((payload.exp - this.#options.clock.now()) / 1000));
    reply.header("set-cookie", this.#cookie(sessionCookie, this.#encode(payload), maxAge, "Lax"));
  }

  /** Starts a session for a signed-in person and sets its cookie (local sign-in and OIDC). */
  establish(reply: FastifyReply, person: Person): Session {
    const now = this.#options.clock.now();
    const payload: Payload = {
      sid: randomBytes(18).toString("base64url"),
      u: person.username,
      g: person.groups.filter((group) => group.length <= MAX_GROUP_LENGTH).slice(0, MAX_GROUPS),
      via: person.via,
      iat: now,
      exp: now + this.#options.ttlMs,
      seen: now,
    };
    this.#write(reply, payload);
    return this.#toSession(payload);
  }

  /**
   * The request's live session, its idle time renewed in a fresh cookie when a reply is given (so
   * sign-out sets only the clearing one); undefined when there is none, it was tampered with,
   * signed out, or expired (absolute or idle).
   */
  current(request: FastifyRequest, reply?: FastifyReply): Session | undefined {
    const value = readCookies(request).get(sessionCookie);
    if (value === undefined) return undefined;
    const payload = this.#decode(value);
    if (payload === undefined) return undefined;
    const now = this.#options.clock.now();
    if (now >= payload.exp || now - payload.seen >= this.#options.idleMs) return undefined;
    if (this.#revoked.has(payload.sid)) return undefined;
    const renewed = { ...payload, seen: now };
    if (reply !== undefined) this.#write(reply, renewed);
    return this.#toSession(renewed);
  }

  /** Signs the session out: its cookie is refused from now on, even if it was copied. */
  revoke(session: Session, reply: FastifyReply): void {
    const now = this.#options.clock.now();
    for (const [id, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(id);
    this.#revoked.set(session.id, session.expiresAt);
    this.clear(reply);
  }

  clear(reply: FastifyReply): void {
    reply.header("set-cookie", this.#cookie(sessionCookie, "", 0, "Lax"));
  }

  /** Whether the header carries this session's CSRF token. */
  csrfMatches(session: Session, header: string | undefined): boolean {
    return header !== undefined && equalText(header, session.csrfToken);
  }

  /** A token for the sign-in form, also set as a cookie: the POST must send both (login CSRF). */
  loginToken(reply: FastifyReply): string {
    const nonce = randomBytes(18).toString("base64url");
    const token = `${nonce}.${this.#sign("login", nonce)}`;
    reply.header("set-cookie", this.#cookie(loginCookie, token, 3600, "Strict"));
    return token;
  }

  loginTokenMatches(request: FastifyRequest, header: string | undefined): boolean {
    const cookie = readCookies(request).get(loginCookie);
    if (header === undefined || cookie === undefined || !equalText(header, cookie)) return false;
    const [nonce, signature] = cookie.split(".");
    return (
      nonce !== undefined &&
      signature !== undefined &&
      equalText(signature, this.#sign("login", nonce))
    );
  }
}
