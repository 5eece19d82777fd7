import { z } from "zod";
import { accountIdentity } from "../core/accounts/accounts.js";
import type { Identity } from "../core/types.js";
import type { HttpRoute } from "../transport/routes.js";
import { HttpError, loginOrThrow, methods, readJson, sendJson } from "./http.js";
import type { ApiContext } from "./types.js";
import { clientAddress } from "../transport/client-address.js";

const sessionRequest = z.union([
  z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
  z.object({ accessToken: z.string().min(1).max(4096) }),
  z.object({ anonymous: z.literal(true) }),
]);

/** Device session keys (the relay dialect's `key`): create from credentials, delete to log a device out. */
export function sessionRoutes({ core, config }: ApiContext): HttpRoute[] {
  const accounts = core.accounts;
  return [
    {
      kind: "http",
      match: (p) => p === "/api/sessions" || p === "/api/sessions/",
      handle: methods({
        POST: async (req, res) => {
          const body = await readJson(req, sessionRequest);
          let who: Identity;
          let authType: "password" | "anonymous";
          if ("password" in body) {
            who = accountIdentity(await loginOrThrow(accounts, req, body.name, body.password));
            authType = "password";
          } else if ("accessToken" in body) {
            const auth = await accounts.verify(body.accessToken);
            if (!auth) throw new HttpError(401, "token.invalid", "invalid/incorrect/expired access token");
            who = auth.identity;
            authType = auth.authType;
          } else {
            if (!config.auth.allowAnonymous) throw new HttpError(403, "anonymous.disabled", "anonymous access is turned off");
            // Each anonymous key is a stored row: a quota per address keeps one client from filling the store.
            if (!(await accounts.mayCreate(clientAddress(req)))) throw new HttpError(429, "rate.limited", "too many sessions created from this address; try again later");
            who = accounts.anonymousIdentity();
            authType = "anonymous";
          }
          const key = await accounts.createSessionKey(who, authType);
          sendJson(res, 201, { key, user_id: who.id, name: who.name, authType });
        },
      }),
    },
    {
      kind: "http",
      match: (p) => /^\/api\/sessions\/[^/]+\/?$/.test(p),
      handle: methods({
        DELETE: async (_req, res, url) => {
          let key: string;
          try {
            key = decodeURIComponent(url.pathname.split("/")[3]);
          } catch {
            throw new HttpError(400, "request.bad", "the key is not valid percent-encoding");
          }
          if (!(await accounts.deleteSessionKey(key))) throw new HttpError(404, "session.unknown", "no such session key");
          res.writeHead(204).end();
        },
      }),
    },
  ];
}
