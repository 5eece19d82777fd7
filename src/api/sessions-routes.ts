import { z } from "zod";
import { accountIdentity } from "../core/accounts/accounts.js";
import type { Identity } from "../core/types.js";
import { clientAddress } from "../transport/client-address.js";
import { HttpError, loginOrThrow } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, named } from "./schemas.js";
import type { ApiContext } from "./types.js";

const sessionRequest = z.union([
  z.object({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
  z.object({ accessToken: z.string().min(1).max(4096) }),
  z.object({ anonymous: z.literal(true) }),
]);

const sessionKey = named(
  "SessionKey",
  z.strictObject({ key: z.string(), user_id: z.string(), name: z.string(), authType: z.enum(["password", "anonymous"]) }),
  "A device session key (the relay dialect's `key`).",
);

/** Device session keys (the relay dialect's `key`): create from credentials, delete to log a device out. */
export function sessionOperations({ core, config }: ApiContext): Operation[] {
  const accounts = core.accounts;
  return [
    op({
      id: "createSessionKey",
      method: "POST",
      path: "/api/sessions",
      summary: "A session key from a password, an access token, or for a new guest",
      tags: ["accounts"],
      security: "none",
      body: sessionRequest,
      responses: {
        201: { description: "the key (shown once: the server keeps only its digest)", schema: sessionKey },
        401: { description: "wrong credentials", schema: errorBody },
        403: { description: "anonymous access is turned off", schema: errorBody },
        429: { description: "too many failed logins, or too many keys created from this address", schema: errorBody },
      },
      async handle({ req, body }) {
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
        return { status: 201, body: { key, user_id: who.id, name: who.name, authType } };
      },
    }),
    op({
      id: "deleteSessionKey",
      method: "DELETE",
      path: "/api/sessions/{key}",
      summary: "Deletes a session key; sockets using it are closed",
      tags: ["accounts"],
      security: "none",
      params: z.object({ key: z.string().min(1) }),
      responses: { 204: { description: "deleted" }, 400: { description: "the key is not valid percent-encoding", schema: errorBody }, 404: { description: "no such session key", schema: errorBody } },
      async handle({ params }) {
        if (!(await accounts.deleteSessionKey(params.key))) throw new HttpError(404, "session.unknown", "no such session key");
        return { status: 204 };
      },
    }),
  ];
}
