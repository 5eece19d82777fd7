// "Disconnect a user everywhere" reaches connections that hold no credential
// at all, such as an instalk guest's.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { admin, instalk, startAdminServer } from "./admin-client.js";

describe("admin: disconnect a user who has no credential", () => {
  let t: TestServer;
  before(async () => {
    t = await startAdminServer();
  });
  after(() => t.stop());

  it("an instalk guest's socket is told and closed", async () => {
    const { c, user } = await instalk(t);
    const reply = await admin(t, "POST", `/api/admin/users/${encodeURIComponent(user.id)}/disconnect`, {});
    assert.equal(reply.status, 202);
    const closed = await c.waitClose(10_000);
    assert.equal(closed.code, 1008);
  });
});
