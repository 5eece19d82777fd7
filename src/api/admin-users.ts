import { z } from "zod";
import type { AccountRecord } from "../engine/store/types.js";
import { accountDetail, disconnectBody, newAccount, tokenRequest, userParams } from "./admin-schemas.js";
import { HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, isoTime, named, publicAccountSchema, queryInt, segment } from "./schemas.js";
import type { ApiContext } from "./types.js";
import { publicAccount, REFUSALS } from "./users-routes.js";

const accountParams = z.strictObject({ account: segment(256).describe("the account's id") });

const issuedToken = named(
  "AdminIssuedToken",
  z.strictObject({ accessToken: z.string(), expiresAt: isoTime, user: z.strictObject({ id: z.string(), name: z.string() }) }),
);

const noAccount = { description: "no account has that id", schema: errorBody };

const accountListQuery = z.strictObject({
  q: z.string().max(254).optional().describe("only accounts whose name or mail contains this (any case), or whose id is exactly this"),
  after: z.string().max(256).optional().describe("the `next` of the previous page"),
  limit: queryInt(1, 200).default(50),
});

const accountList = named(
  "AccountList",
  z.strictObject({
    accounts: z.array(accountDetail),
    next: z.string().nullable().describe("pass as `after` for the next page; null at the end"),
  }),
);

/**
 * Accounts and users for the operator. Accounts are listed in name order
 * (case-folded, byte order: the store's), and `q` narrows the list to names
 * or mails containing it, or an exact id, so the old exact lookups still find
 * their account. The cursor is the last name of a page: no state is kept on
 * the server, and it still works once that account is renamed.
 */
export function adminUserOperations({ core }: ApiContext): Operation[] {
  const accounts = core.accounts;
  const detail = async (a: AccountRecord) => {
    const before = await accounts.revocations.userRevokedBefore(a.id);
    return { ...publicAccount(a), revokedBefore: before === null ? null : new Date(before).toISOString() };
  };
  const account = async (id: string) => {
    const found = await accounts.byId(id);
    if (!found) throw new HttpError(404, "account.unknown", "no account has that id");
    return found;
  };
  return [
    op({
      id: "searchAccounts",
      method: "GET",
      path: "/api/admin/accounts",
      summary: "Lists accounts in name order; `q` searches part of a name or mail (any case), or an exact id",
      description:
        "Names compare case-folded, in byte order (so \"Émile\" comes after \"zoe\"). A search is a substring match: `%` and `_` are plain characters.",
      tags: ["users"],
      security: "admin",
      query: accountListQuery,
      responses: { 200: { description: "a page of accounts", schema: accountList } },
      async handle({ query }) {
        // One more than asked tells whether another page exists, so `next` is null exactly at the end.
        const found = await core.store.accounts.list({ search: query.q?.trim() || undefined, after: query.after, limit: query.limit + 1 });
        const page = found.slice(0, query.limit);
        const next = found.length > query.limit ? page[page.length - 1].name : null;
        return { status: 200, body: { accounts: await Promise.all(page.map(detail)), next } };
      },
    }),
    op({
      id: "createAccount",
      method: "POST",
      path: "/api/admin/accounts",
      summary: "Registers an account (no per-address quota)",
      tags: ["users"],
      security: "admin",
      body: newAccount,
      responses: { 201: { description: "the new account", schema: publicAccountSchema }, 409: { description: "the name or mail is taken", schema: errorBody } },
      async handle({ body }) {
        const result = await accounts.register({ name: body.name, password: body.password, mail: body.mail ?? null });
        if (!result.ok) {
          const [status, reason] = REFUSALS[result.code];
          throw new HttpError(status, result.code, reason);
        }
        return { status: 201, body: publicAccount(result.account) };
      },
    }),
    op({
      id: "getAccount",
      method: "GET",
      path: "/api/admin/accounts/{account}",
      summary: "One account",
      tags: ["users"],
      security: "admin",
      params: accountParams,
      responses: { 200: { description: "the account", schema: accountDetail }, 404: noAccount },
      async handle({ params }) {
        return { status: 200, body: await detail(await account(params.account)) };
      },
    }),
    op({
      id: "createAccountToken",
      method: "POST",
      path: "/api/admin/accounts/{account}/tokens",
      summary: "An access token for an account, without its password",
      tags: ["users"],
      security: "admin",
      params: accountParams,
      body: tokenRequest,
      responses: { 201: { description: "the token", schema: issuedToken }, 404: noAccount },
      async handle({ params, body }) {
        const found = await account(params.account);
        const { token, claims } = await accounts.issueToken(found, "password", body.ttlSeconds);
        return { status: 201, body: { accessToken: token, expiresAt: new Date(claims.expiresAt).toISOString(), user: { id: found.id, name: found.name } } };
      },
    }),
    op({
      id: "disconnectUser",
      method: "POST",
      path: "/api/admin/users/{user}/disconnect",
      summary: "Closes every connection of a user, on every node",
      description:
        "Nothing is stored: the user may connect again (revoke to keep them out). Every connection acting as the user closes, in every dialect, guests included.",
      tags: ["users"],
      security: "admin",
      params: userParams,
      body: disconnectBody,
      responses: { 202: { description: "every node was told", schema: named("Disconnected", z.strictObject({ user: z.string() })) } },
      async handle({ params, body }) {
        await accounts.revocations.disconnects.disconnect(params.user, body.reason ?? "disconnected by the operator");
        return { status: 202, body: { user: params.user } };
      },
    }),
    op({
      id: "revokeUser",
      method: "POST",
      path: "/api/admin/users/{user}/revoke",
      summary: "Revokes every access token and session key of a user issued until now",
      description: "Sockets opened with them are closed on every node. Credentials issued afterwards work.",
      tags: ["users"],
      security: "admin",
      params: userParams,
      responses: { 200: { description: "revoked", schema: named("Revoked", z.strictObject({ user: z.string(), revokedBefore: isoTime })) } },
      async handle({ params }) {
        const before = await accounts.revokeUser(params.user);
        return { status: 200, body: { user: params.user, revokedBefore: new Date(before).toISOString() } };
      },
    }),
  ];
}
