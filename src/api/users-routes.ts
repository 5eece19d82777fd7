import { z } from "zod";
import type { AccountRecord } from "../engine/store/types.js";
import { clientAddress } from "../transport/client-address.js";
import { bearer, HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, named, publicAccountSchema } from "./schemas.js";
import type { ApiContext } from "./types.js";

const registration = z.object({
  name: z.string().max(64),
  password: z.string().max(1024),
  mail: z.string().max(254).nullish(),
});

/** Why `Accounts.register` refused, as an HTTP answer. Shared with the admin API's account creation. */
export const REFUSALS = {
  "name.invalid": [400, "names are 1-32 letters, digits, spaces, . _ - and not only digits"],
  "name.taken": [409, "that name is registered"],
  "mail.invalid": [400, "a mail address needs one @ with text on both sides"],
  "mail.taken": [409, "that mail address is registered"],
  "password.short": [400, "the password is too short"],
} as const;

export const publicAccount = (a: AccountRecord) => ({ id: a.id, name: a.name, mail: a.mail, color: a.color, created: new Date(a.created).toISOString() });

const anonymousUser = named("AnonymousUser", z.strictObject({ id: z.string(), name: z.string(), anonymous: z.literal(true) }));

/** Registration and "who am I". */
export function userOperations({ core }: ApiContext): Operation[] {
  return [
    op({
      id: "register",
      method: "POST",
      path: "/api/users",
      summary: "Registers an account",
      tags: ["accounts"],
      security: "none",
      body: registration,
      responses: {
        201: { description: "the new account", schema: publicAccountSchema },
        409: { description: "the name or mail is taken", schema: errorBody },
        429: { description: "too many accounts created from this address", schema: errorBody },
      },
      async handle({ req, body }) {
        if (!(await core.accounts.mayCreate(clientAddress(req)))) throw new HttpError(429, "rate.limited", "too many accounts created from this address; try again later");
        const result = await core.accounts.register({ name: body.name, password: body.password, mail: body.mail ?? null });
        if (!result.ok) {
          const [status, reason] = REFUSALS[result.code];
          throw new HttpError(status, result.code, reason);
        }
        return { status: 201, body: publicAccount(result.account) };
      },
    }),
    op({
      id: "me",
      method: "GET",
      path: "/api/users/me",
      summary: "The user an access token names",
      tags: ["accounts"],
      security: "user",
      responses: {
        200: { description: "the account, or the guest of an anonymous token", schema: z.union([publicAccountSchema, anonymousUser]) },
        401: { description: "no token, or an invalid, expired or revoked one", schema: errorBody },
      },
      async handle({ req }) {
        const token = bearer(req);
        const auth = token ? await core.auth.verify(token) : null;
        if (!auth) throw new HttpError(401, "token.invalid", "invalid/incorrect/expired access token");
        const account = auth.authType === "password" ? await core.accounts.byId(auth.identity.id) : null;
        return { status: 200, body: account ? publicAccount(account) : { id: auth.identity.id, name: auth.identity.name, anonymous: true } };
      },
    }),
  ];
}
