// A real OpenID provider for the console's single sign-on tests: panva's oidc-provider on
// loopback, one confidential client (client_secret_basic) and users with a `groups` claim. It
// requires PKCE and records each authorization request's parameters, so tests can see what the
// console sent. Its development login and consent forms are filled by `signInAtProvider`.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestUser {
  readonly groups: readonly string[] | string;
  /** Leave out preferred_username, to test a sign-in without a user name. */
  readonly anonymous?: boolean;
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Query parameters of every authorization request the provider received, in order. */
  readonly authorizationRequests: URLSearchParams[];
  /** How many userinfo requests it answered. */
  userinfoRequests(): number;
  close(): Promise<void>;
}

export async function startTestProvider(options: {
  readonly redirectUri: string;
  readonly users: Readonly<Record<string, TestUser>>;
  /** A port chosen beforehand, e.g. one a console already tries to discover; a free one when unset. */
  readonly port?: number;
  /**
   * Put the scopes' claims in the ID token too, as Keycloak does. By default oidc-provider keeps
   * them for userinfo in a code flow (conformIdTokenClaims), as the OpenID Connect spec suggests.
   */
  readonly claimsInIdToken?: boolean;
}): Promise<TestProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  const clientId = "callback-console";
  const clientSecret = "a-client-secret-of-32-characters!";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], profile: ["preferred_username", "groups"], email: ["email"] },
    pkce: { required: () => true },
    conformIdTokenClaims: options.claimsInIdToken !== true,
    cookies: { keys: ["test-cookie-key"] },
    findAccount: (_ctx, id) => {
      const user = options.users[id];
      if (user === undefined) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          ...(user.anonymous === true ? {} : { preferred_username: id }),
          groups: user.groups,
          email: `${id}@example.com`,
        }),
      };
    },
  });
  const authorizationRequests: URLSearchParams[] = [];
  let userinfoRequests = 0;
  provider.use(async (ctx, next) => {
    if (ctx.path === "/auth" && ctx.method === "GET") {
      authorizationRequests.push(new URLSearchParams(ctx.querystring));
    }
    if (ctx.path === "/me") userinfoRequests++;
    await next();
  });
  const handle = provider.callback();
  server.on("request", (request, response) => {
    void handle(request, response);
  });
  return {
    issuer,
    clientId,
    clientSecret,
    authorizationRequests,
    userinfoRequests: () => userinfoRequests,
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/**
 * Follows the provider's redirects from an authorization URL, fills its login form (any password
 * is accepted) and its consent form, and returns the URL the provider redirects back to: the
 * console's callback with a code, or with an error.
 */
export async function signInAtProvider(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  const issuerOrigin = url.origin;
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      redirect: "manual",
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; "),
        ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
      },
      ...(body === undefined ? {} : { body }),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    body = undefined;
    const location = response.headers.get("location");
    if (location !== null) {
      url = new URL(location, url);
      if (url.origin !== issuerOrigin) return url;
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (action === undefined) {
      throw new Error(`the provider answered ${String(response.status)} without a form: ${html}`);
    }
    url = new URL(action.replaceAll("&amp;", "&"), url);
    body = formFields(html, login);
  }
  throw new Error("the provider did not redirect back after 20 steps");
}

/** The form's hidden inputs, with the login and a password where the form asks for them. */
function formFields(html: string, login: string): URLSearchParams {
  const fields = new URLSearchParams();
  for (const [, name = "", value = ""] of html.matchAll(
    /<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
  )) {
    fields.set(name, value);
  }
  if (html.includes('name="login"')) fields.set("login", login);
  if (html.includes('name="password"')) fields.set("password", "any-password");
  return fields;
}
