import { z } from "zod";
import { bearer, HttpError, loginOrThrow } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, isoTime, named, userRef } from "./schemas.js";
import type { ApiContext } from "./types.js";

export const credentials = named("Credentials", z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }));
const tokenBody = z.object({ accessToken: z.string().min(1).max(4096) });

const issued = named(
  "IssuedToken",
  z.strictObject({ authType: z.enum(["password", "anonymous"]), accessToken: z.string(), expiresAt: isoTime, user: userRef }),
  "An access token (a JWT) and who it names.",
);

/** Access tokens: anonymous, by password, logout (revoke your own), revoke by token. */
export function authOperations({ core, config }: ApiContext): Operation[] {
  const accounts = core.accounts;
  return [
    op({
      id: "anonymousToken",
      method: "POST",
      path: "/auth/anonymous",
      summary: "An access token for a new guest",
      tags: ["auth"],
      security: "none",
      responses: { 200: { description: "a guest's token", schema: issued }, 403: { description: "anonymous access is turned off", schema: errorBody } },
      async handle() {
        if (!config.auth.allowAnonymous) throw new HttpError(403, "anonymous.disabled", "anonymous access is turned off");
        const guest = accounts.anonymousIdentity();
        const { token, claims } = await accounts.issueToken(guest, "anonymous");
        return { status: 200, body: { authType: "anonymous", accessToken: token, expiresAt: new Date(claims.expiresAt).toISOString(), user: { id: guest.id, name: guest.name } } };
      },
    }),
    op({
      id: "login",
      method: "POST",
      path: "/auth/login",
      summary: "An access token for a name and password",
      tags: ["auth"],
      security: "none",
      body: credentials,
      responses: {
        200: { description: "the account's token", schema: issued },
        401: { description: "wrong name or password", schema: errorBody },
        429: { description: "too many failed logins for this name or address", schema: errorBody },
      },
      async handle({ req, body }) {
        const account = await loginOrThrow(accounts, req, body.name, body.password);
        const { token, claims } = await accounts.issueToken(account, "password");
        return { status: 200, body: { authType: "password", accessToken: token, expiresAt: new Date(claims.expiresAt).toISOString(), user: { id: account.id, name: account.name } } };
      },
    }),
    op({
      id: "logout",
      method: "POST",
      path: "/auth/logout",
      summary: "Revokes the token sent as Authorization: Bearer",
      tags: ["auth"],
      security: "user",
      responses: { 204: { description: "revoked; sockets using it are closed" }, 401: { description: "no token, or not one this server signed", schema: errorBody } },
      async handle({ req }) {
        const token = bearer(req);
        if (!token || !(await accounts.revokeToken(token))) throw new HttpError(401, "token.invalid", "send the token to revoke as Authorization: Bearer <token>");
        return { status: 204 };
      },
    }),
    op({
      id: "revokeToken",
      method: "POST",
      path: "/auth/revoke",
      summary: "Revokes the token in the body",
      tags: ["auth"],
      security: "none",
      body: tokenBody,
      responses: { 204: { description: "revoked; sockets using it are closed" } },
      async handle({ body }) {
        if (!(await accounts.revokeToken(body.accessToken))) throw new HttpError(400, "token.invalid", "not a token this server signed");
        return { status: 204 };
      },
    }),
  ];
}
