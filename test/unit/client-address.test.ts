import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { clientAddress, decideClientAddress } from "../../src/transport/client-address.js";

const req = (peer: string, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as unknown as IncomingMessage;

describe("client address behind trusted proxies", () => {
  const proxies = new Set(["10.0.0.1", "10.0.0.2"]);

  it("believes X-Forwarded-For only from a trusted peer", () => {
    assert.equal(decideClientAddress(req("203.0.113.9", "1.1.1.1"), proxies), "203.0.113.9", "a client cannot name its own address");
    assert.equal(decideClientAddress(req("10.0.0.1", "198.51.100.7"), proxies), "198.51.100.7");
  });

  it("takes the right-most hop that is not itself a proxy, so a forged left part is ignored", () => {
    assert.equal(decideClientAddress(req("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2"), proxies), "198.51.100.7");
    assert.equal(decideClientAddress(req("10.0.0.1", ["6.6.6.6", "198.51.100.7"]), proxies), "198.51.100.7");
  });

  it("folds IPv4-mapped IPv6 and remembers what it decided for the request", () => {
    const r = req("::ffff:10.0.0.1", "::ffff:198.51.100.7");
    assert.equal(decideClientAddress(r, proxies), "198.51.100.7");
    assert.equal(clientAddress(r), "198.51.100.7");
    assert.equal(clientAddress(req("::ffff:127.0.0.1")), "127.0.0.1");
  });

  it("a trusted peer without the header is the client itself", () => {
    assert.equal(decideClientAddress(req("10.0.0.1"), proxies), "10.0.0.1");
  });
});
