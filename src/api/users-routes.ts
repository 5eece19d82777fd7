import { z } from "zod";
import type { AccountRecord } from "../engine/store/types.js";
import type { HttpRoute } from "../transport/routes.js";
import { bearer, HttpError, methods, path, readJson, sendJson } from "./http.js";
import type { ApiContext } from "./types.js";
import { clientAddress } from "../transport/client-address.js";

const registration = z.object({
  name: z.string().max(64),
  password: z.string().max(1024),
  mail: z.string().max(254).nullish(),
});

const REFUSALS = {
  "name.invalid": [400, "names are 1-32 letters, digits, spaces, . _ - and not only digits"],
  "name.taken": [409, "that name is registered"],
  "mail.invalid": [400, "a mail address needs one @ with text on both sides"],
  "mail.taken": [409, "that mail address is registered"],
  "password.short": [400, "the password is too short"],
} as const;

export const publicAccount = (a: AccountRecord) => ({ id: a.id, name: a.name, mail: a.mail, color: a.color, created: new Date(a.created).toISOString() });

/** Registration and "who am I". */
export function userRoutes({ core }: ApiContext): HttpRoute[] {
  return [
    {
      kind: "http",
      match: path("/api/users"),
      handle: methods({
        POST: async (req, res) => {
          const body = await readJson(req, registration);
          if (!(await core.accounts.mayCreate(clientAddress(req)))) throw new HttpError(429, "rate.limited", "too many accounts created from this address; try again later");
          const result = await core.accounts.register({ name: body.name, password: body.password, mail: body.mail ?? null });
          if (!result.ok) {
            const [status, reason] = REFUSALS[result.code];
            throw new HttpError(status, result.code, reason);
          }
          sendJson(res, 201, publicAccount(result.account));
        },
      }),
    },
    {
      kind: "http",
      match: path("/api/users/me"),
      handle: methods({
        GET: async (req, res) => {
          const token = bearer(req);
          const auth = token ? await core.auth.verify(token) : null;
          if (!auth) throw new HttpError(401, "token.invalid", "invalid/incorrect/expired access token");
          const account = auth.authType === "password" ? await core.accounts.byId(auth.identity.id) : null;
          sendJson(res, 200, account ? publicAccount(account) : { id: auth.identity.id, name: auth.identity.name, anonymous: true });
        },
      }),
    },
  ];
}


