import { z } from "zod";
import { bearer, HttpError, loginOrThrow, methods, path, readJson, sendJson } from "./http.js";
import type { ApiContext } from "./types.js";
import type { HttpRoute } from "../transport/routes.js";

const credentials = z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
const tokenBody = z.object({ accessToken: z.string().min(1).max(4096) });

/** Access tokens: anonymous, by password, logout (revoke your own), revoke by token. */
export function authRoutes({ core, config }: ApiContext): HttpRoute[] {
  const accounts = core.accounts;
  return [
    {
      kind: "http",
      match: path("/auth/anonymous"),
      handle: methods({
        POST: async (_req, res) => {
          if (!config.auth.allowAnonymous) throw new HttpError(403, "anonymous.disabled", "anonymous access is turned off");
          const guest = accounts.anonymousIdentity();
          const { token, claims } = await accounts.issueToken(guest, "anonymous");
          sendJson(res, 200, { authType: "anonymous", accessToken: token, expiresAt: new Date(claims.expiresAt).toISOString(), user: { id: guest.id, name: guest.name } });
        },
      }),
    },
    {
      kind: "http",
      match: path("/auth/login"),
      handle: methods({
        POST: async (req, res) => {
          const { name, password } = await readJson(req, credentials);
          const account = await loginOrThrow(accounts, req, name, password);
          const { token, claims } = await accounts.issueToken(account, "password");
          sendJson(res, 200, { authType: "password", accessToken: token, expiresAt: new Date(claims.expiresAt).toISOString(), user: { id: account.id, name: account.name } });
        },
      }),
    },
    {
      kind: "http",
      match: path("/auth/logout"),
      handle: methods({
        POST: async (req, res) => {
          const token = bearer(req);
          if (!token || !(await accounts.revokeToken(token))) throw new HttpError(401, "token.invalid", "send the token to revoke as Authorization: Bearer <token>");
          res.writeHead(204).end();
        },
      }),
    },
    {
      kind: "http",
      match: path("/auth/revoke"),
      handle: methods({
        POST: async (req, res) => {
          const { accessToken } = await readJson(req, tokenBody);
          if (!(await accounts.revokeToken(accessToken))) throw new HttpError(400, "token.invalid", "not a token this server signed");
          res.writeHead(204).end();
        },
      }),
    },
  ];
}
