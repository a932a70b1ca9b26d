// Single sign-on with OpenID Connect (ADR 0135): the authorization code flow with PKCE (S256),
// state and nonce, by openid-client. The sign-in in progress lives in a sealed cookie
// (oidc-state-cookie.ts), so the console keeps no server-side store and any replica finishes what
// another started. The issuer is discovered at start and retried until it answers; meanwhile the
// console serves everything else and status.problem() tells /readyz why sign-in is not ready.
import { readFile } from "node:fs/promises";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as client from "openid-client";
import { readSecretFile } from "../callback-api/admin-password.ts";
import { fileFailure, StartFailure } from "../callback-api/start-failure.ts";
import { backoff, type BackoffPolicy } from "../runtime/backoff.ts";
import type { Clock } from "../runtime/clock.ts";
import { lacksClaims, personFromClaims, type ClaimSet } from "./oidc-claims.ts";
import type { OidcConfig } from "./oidc-flags.ts";
import { errorPage } from "./oidc-page.ts";
import {
  openPendingSignIn,
  sealPendingSignIn,
  STATE_COOKIE,
  STATE_TTL_MS,
  stateCookieKey,
} from "./oidc-state-cookie.ts";
import { safeReturnTo } from "./return-to.ts";
import type { Sessions } from "./sessions.ts";

export interface OidcDeps {
  readonly config: OidcConfig;
  /** The server's sessions: `establish` sets the session cookie on the reply. */
  readonly sessions: Pick<Sessions, "establish">;
  readonly log: FastifyBaseLogger;
  /** The session key (--session-key-file, or the random one): the state cookie's key derives from it. */
  readonly sessionKey: Uint8Array;
  /** Wall time for the state cookie's 5 minutes. */
  readonly clock: Clock;
}

export interface OidcStatus {
  /** Why single sign-on cannot start a sign-in, for /readyz; undefined once the issuer is known. */
  problem(): string | undefined;
}

const DISCOVERY_RETRY: BackoffPolicy = { base: 1_000, max: 60_000, jitter: 0.5 };
/** Seconds openid-client waits for each request to the issuer. */
const ISSUER_TIMEOUT_S = 10;
const CALLBACK_PATH = "/auth/oidc/callback";

export function registerOidcRoutes(app: FastifyInstance, deps: OidcDeps): OidcStatus {
  const { config, log } = deps;
  const now = (): number => deps.clock.now();
  const key = stateCookieKey(deps.sessionKey);
  const secret = { current: "" };
  const issuer = discoverIssuer(config, secret, log);
  app.addHook("onClose", () => {
    issuer.stop();
  });

  app.get("/auth/oidc/login", async (request, reply) => {
    const configuration = issuer.configuration();
    if (configuration === undefined) {
      return errorPage(reply, 503, "Single sign-on is not available yet", issuer.problem() ?? "");
    }
    const query = request.query as Record<string, unknown>;
    const pending = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo: safeReturnTo(query["returnTo"]),
    };
    const target = client.buildAuthorizationUrl(configuration, {
      redirect_uri: config.redirectUri.href,
      scope: config.scopes.join(" "),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
    });
    setStateCookie(reply, config, sealPendingSignIn(key, pending, now()), STATE_TTL_MS / 1000);
    return reply.header("cache-control", "no-store").redirect(target.href, 302);
  });

  app.get(CALLBACK_PATH, async (request, reply) => {
    const pending = openPendingSignIn(key, cookieValue(request, STATE_COOKIE), now());
    // One use: whatever happens next, this sign-in attempt is over.
    setStateCookie(reply, config, "", 0);
    reply.header("cache-control", "no-store");
    if (pending === undefined) {
      return errorPage(
        reply,
        401,
        "Sign-in failed",
        "no single sign-on was in progress in this browser, or it took longer than 5 minutes: start again from the sign-in page",
      );
    }
    const configuration = issuer.configuration();
    if (configuration === undefined) {
      return errorPage(reply, 503, "Single sign-on is not available", issuer.problem() ?? "");
    }
    const secretText = await readSecretFile(config.clientSecretFile);
    if (secretText === undefined || secretText === "") {
      log.error({ file: config.clientSecretFile }, "Could not read the OIDC client secret");
      return errorPage(
        reply,
        503,
        "Single sign-on is not available",
        `the console cannot read its client secret (--oidc-client-secret-file ${config.clientSecretFile}): mount the Secret holding it`,
      );
    }
    secret.current = secretText;
    // The URL the provider redirected to: the registered redirect URI with this request's query.
    const currentUrl = new URL(config.redirectUri);
    currentUrl.search = new URL(request.url, config.redirectUri).search;
    let claims: ClaimSet[];
    try {
      claims = await exchange(configuration, currentUrl, pending, config);
    } catch (error) {
      const refusal = refusalOf(error);
      // The message names the provider's error or the failed check; it holds no token or code.
      log.warn(
        { reason: refusal.code },
        "Refused an OIDC sign-in: %s",
        refusal.message.slice(0, 500),
      );
      return errorPage(reply, refusal.status, "Sign-in failed", refusal.message);
    }
    const person = personFromClaims(claims, config);
    if (!person.ok) {
      log.warn({ reason: "claims" }, "Refused an OIDC sign-in: %s", person.message);
      return errorPage(reply, 401, "Sign-in failed", person.message);
    }
    deps.sessions.establish(reply, {
      username: person.username,
      groups: person.groups,
      via: "oidc",
    });
    log.info(
      { username: person.username, groups: person.groups.length },
      "Signed in with single sign-on",
    );
    return reply.redirect(pending.returnTo, 302);
  });

  return { problem: () => issuer.problem() };
}

/** A missing or empty client secret file is caught at start (it is read again at each sign-in). */
export async function checkClientSecret(path: string): Promise<void> {
  let secret: string;
  try {
    secret = await readFile(path, "utf8");
  } catch (error) {
    throw fileFailure("--oidc-client-secret-file", path, error);
  }
  if (secret.trim() === "") {
    throw new StartFailure(
      `--oidc-client-secret-file ${path} is empty: put the client secret the issuer gave the console in it`,
      2,
    );
  }
}

/** The code exchange (state, nonce and PKCE checked by openid-client), then userinfo if needed. */
async function exchange(
  configuration: client.Configuration,
  currentUrl: URL,
  pending: { readonly state: string; readonly nonce: string; readonly codeVerifier: string },
  config: OidcConfig,
): Promise<ClaimSet[]> {
  const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
    pkceCodeVerifier: pending.codeVerifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  // Unreachable with idTokenExpected (openid-client refuses such an answer), but typed so.
  if (idClaims === undefined) throw new client.ClientError("the provider sent no ID token");
  if (
    !lacksClaims(idClaims, config) ||
    configuration.serverMetadata().userinfo_endpoint === undefined
  ) {
    return [idClaims];
  }
  const userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
  return [idClaims, userinfo];
}

interface Refusal {
  readonly status: 401 | 502;
  readonly code: string;
  readonly message: string;
}

/** openid-client's errors as what the person is shown; the provider's own words are named. */
function refusalOf(error: unknown): Refusal {
  const providerError = providerErrorOf(error);
  if (providerError !== undefined) {
    const { where, code, description } = providerError;
    return {
      status: 401,
      code,
      message: `the identity provider refused the ${where} with "${code}"${description === undefined ? "" : `: ${description}`}`,
    };
  }
  if (error instanceof client.ClientError) {
    // openid-client's message is generic ("invalid response encountered"); its cause says what.
    const detail = error.cause instanceof Error ? error.cause.message : error.message;
    return {
      status: 401,
      code: error.code ?? "invalid_response",
      message: `the sign-in response was not accepted: ${detail}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 502,
    code: "issuer_unreachable",
    message: `the identity provider could not be reached to finish the sign-in (${message}): try again`,
  };
}

interface ProviderError {
  readonly where: "sign-in" | "token request";
  readonly code: string;
  readonly description: string | undefined;
}

/** An error the provider answered with: in the redirect, the token response, or its challenge. */
function providerErrorOf(error: unknown): ProviderError | undefined {
  if (error instanceof client.AuthorizationResponseError) {
    return { where: "sign-in", code: error.error, description: error.error_description };
  }
  if (error instanceof client.ResponseBodyError) {
    return { where: "token request", code: error.error, description: error.error_description };
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const parameters = error.cause[0]?.parameters;
    return {
      where: "token request",
      code: parameters?.error ?? `HTTP ${String(error.status)}`,
      description: parameters?.error_description,
    };
  }
  return undefined;
}

interface Issuer {
  configuration(): client.Configuration | undefined;
  problem(): string | undefined;
  stop(): void;
}

/** Discovers the issuer now and again after each failure, with backoff, until it answers. */
function discoverIssuer(
  config: OidcConfig,
  secret: { readonly current: string },
  log: FastifyBaseLogger,
): Issuer {
  let configuration: client.Configuration | undefined;
  let problem = `discovering the OpenID Connect issuer ${config.issuer.href}`;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // client_secret_basic with the secret read for the current exchange (see the callback route).
  const clientAuth: client.ClientAuth = (as, metadata, body, headers) => {
    client.ClientSecretBasic(secret.current)(as, metadata, body, headers);
  };
  const attempt = async (count: number): Promise<void> => {
    try {
      configuration = await client.discovery(
        config.issuer,
        config.clientId,
        undefined,
        clientAuth,
        {
          timeout: ISSUER_TIMEOUT_S,
          // Plain http only for an issuer on loopback (tests, local runs): oidc-flags.ts refuses
          // it anywhere else.
          // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only as a warning sign
          execute: config.issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
        },
      );
      problem = "";
      log.info({ issuer: config.issuer.href }, "Discovered the OpenID Connect issuer");
    } catch (error) {
      if (stopped) return;
      const reason = error instanceof Error ? error.message : String(error);
      problem = `the OpenID Connect issuer ${config.issuer.href} did not answer discovery (${reason}); retrying`;
      const delay = backoff(count, DISCOVERY_RETRY);
      log.warn(
        { issuer: config.issuer.href, attempt: count + 1, retryInMs: delay },
        "Could not discover the OpenID Connect issuer: %s",
        reason,
      );
      timer = setTimeout(() => void attempt(count + 1), delay);
    }
  };
  void attempt(0);
  return {
    configuration: () => configuration,
    problem: () => (configuration === undefined ? problem : undefined),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function setStateCookie(
  reply: FastifyReply,
  config: OidcConfig,
  value: string,
  maxAgeS: number,
): void {
  const attributes = [
    `${STATE_COOKIE}=${value}`,
    "Path=/auth/oidc",
    `Max-Age=${String(maxAgeS)}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(config.secureCookies ? ["Secure"] : []),
  ];
  reply.header("set-cookie", attributes.join("; "));
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
