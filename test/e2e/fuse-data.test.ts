import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loggedIn, type FuseClient } from "../helpers/fuse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("fuse data records: save, load, list|data", () => {
  let t: TestServer;
  let a: FuseClient;
  let b: FuseClient;
  before(async () => {
    t = await startTestServer();
    a = await loggedIn(t, "a");
    b = await loggedIn(t, "b");
    await a.next(); // here|b
  });
  after(async () => {
    a.close();
    b.close();
    await t.stop();
  });

  const saved = async (c: FuseClient, type: string, json: string) => {
    const [, status, id, key] = (await c.cmd(`save|${type}|${json}`)).split("|");
    assert.equal(status, "done");
    return { id, key };
  };

  it("save|<type>|<json> → save|done|<id>|<key>; load|<type>|<id> → load|done|<json>", async () => {
    const { id, key } = await saved(a, "score", '{"points":3,"who":"a|b"}');
    assert.ok(id && key && id !== key);
    assert.equal(await b.cmd(`load|score|${id}`), 'load|done|{"points":3,"who":"a|b"}');
  });

  it('a "key" naming the saver\'s own record updates it; someone else\'s key makes a new record', async () => {
    const { id, key } = await saved(a, "profile", '{"level":1}');
    assert.equal(await a.cmd(`save|profile|{"key":"${key}","level":2}`), `save|done|${id}|${key}`);
    assert.equal(await a.cmd(`load|profile|${id}`), 'load|done|{"level":2}');
    const theirs = await saved(b, "profile", `{"key":"${key}","level":99}`);
    assert.notEqual(theirs.id, id);
    assert.notEqual(theirs.key, key);
    assert.equal(await a.cmd(`load|profile|${id}`), 'load|done|{"level":2}', "b could not overwrite a's record");
  });

  it("refusals: data too large (> 512 characters), data invalid, data not found", async () => {
    const big = JSON.stringify({ text: "x".repeat(520) });
    assert.equal(await a.cmd(`save|score|${big}`), "save|fail|data too large");
    assert.equal(await a.cmd("save|score|not json"), "save|fail|data invalid");
    assert.equal(await a.cmd("save|score|[1,2]"), "save|fail|data invalid");
    assert.equal(await a.cmd('save|bad type!|{"a":1}'), "save|fail|data invalid");
    assert.equal(await a.cmd("load|score|nosuchrecord"), "load|fail|data not found");
    assert.equal(await a.cmd("load|nosuchtype|x"), "load|fail|data not found");
  });

  it("list|data|<type> lists the ids, oldest first", async () => {
    assert.equal(await a.cmd("list|data|empty"), "list|done|data");
    const one = await saved(a, "level", '{"n":1}');
    const two = await saved(b, "level", '{"n":2}');
    assert.equal(await a.cmd("list|data|level"), `list|done|data|${one.id}|${two.id}`);
  });
});
