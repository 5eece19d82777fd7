import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FuseClient, md5, newName, register } from "../helpers/fuse.js";
import { reallyServer } from "../helpers/really.js";

describe("fuse records are really documents", () => {
  const h = reallyServer();

  it("a record a fuse user saved is read through really's get, and really's update is what load returns next", async () => {
    const name = newName("bridge");
    const pass = md5(`secret${name}`);
    await register(h.t, name, "", pass);
    const fuse = await FuseClient.connect(h.t, name);
    assert.equal(await fuse.open(pass), "open|done");
    const [, status, id] = (await fuse.cmd('save|notes|{"title":"from fuse","score":1}')).split("|");
    assert.equal(status, "done");

    // The same account logs in over the HTTP API with its fuse pass, and uses really.
    const login = await h.post("/auth/login/", { name, password: pass });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const really = await h.client(login.body.accessToken as string);
    const r = `/notes/${id}`;
    const got = await really.request("get", { r });
    assert.deepEqual(got.body, { title: "from fuse", score: 1, _r: r, _rev: 1 });

    const updated = await really.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "title", value: "from really" }, { op: "addNumber", key: "score", value: 2 }] } });
    assert.equal(updated.rev, 2, JSON.stringify(updated));
    assert.equal(await fuse.cmd(`load|notes|${id}`), 'load|done|{"title":"from really","score":3}');
    fuse.close();
  });

  it("a document made through really is listed and loaded by fuse", async () => {
    const really = await h.client();
    const made = await really.request("create", { r: "/levels/", body: { name: "one" } });
    const id = String(made.r).split("/")[2];
    const name = newName("bridge");
    const { key } = await register(h.t, name);
    const fuse = await FuseClient.connect(h.t, name);
    assert.equal(await fuse.open(key), "open|done");
    assert.equal(await fuse.cmd("list|data|levels"), `list|done|data|${id}`);
    assert.equal(await fuse.cmd(`load|levels|${id}`), 'load|done|{"name":"one"}');
    fuse.close();
  });

  it("fuse cannot plant a profile: save into the users collection is refused, whatever the body says", async () => {
    const name = newName("bridge");
    const { key } = await register(h.t, name);
    const fuse = await FuseClient.connect(h.t, name);
    assert.equal(await fuse.open(key), "open|done");
    assert.equal(await fuse.cmd('save|users|{"name":"root","authType":"password"}'), "save|fail|data invalid");
    fuse.close();
  });
});
