import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, fromEnv, loadConfig, parseFlags } from "../../src/config/load.js";
import { defaults } from "../../src/config/schema.js";

async function withFile(content: unknown, run: (file: string) => void | Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sb-config-"));
  const file = join(dir, "switchboard.json");
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  try {
    await run(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("configuration", () => {
  it("with nothing given, is the documented defaults: port 4040, data ./data, SQLite, local broker", () => {
    const config = loadConfig([], {});
    assert.deepEqual(config, defaults);
    assert.equal(config.port, 4040);
    assert.equal(config.data, "./data");
    assert.equal(config.store.url, "");
    assert.equal(config.broker.url, "");
  });

  it("flags win over the environment, which wins over the file, which wins over the defaults", async () => {
    await withFile({ port: 1111, data: "/from/file", instalk: { idleMs: 1000, graceMs: 2000 } }, (file) => {
      const env = { SWITCHBOARD_CONFIG: file, SWITCHBOARD_PORT: "2222", SWITCHBOARD_INSTALK__IDLE_MS: "3000" };
      const config = loadConfig(["--port", "3333"], env);
      assert.equal(config.port, 3333, "flag beats env and file");
      assert.equal(config.instalk.idleMs, 3000, "env beats file");
      assert.equal(config.instalk.graceMs, 2000, "file beats default");
      assert.equal(config.data, "/from/file");
      assert.equal(config.instalk.joinHistory, defaults.instalk.joinHistory, "untouched keys keep their default");
    });
  });

  it("--config names the file; --set reaches any nested key; --flag=value works too", async () => {
    await withFile({ logLevel: "warn" }, (file) => {
      const config = loadConfig([`--config=${file}`, "--set", "limits.burst=7", "--data=/d", "--log-level", "error"], {});
      assert.equal(config.limits.burst, 7);
      assert.equal(config.data, "/d");
      assert.equal(config.logLevel, "error", "the flag beats the file's warn");
    });
  });

  it("environment names map to nested camelCase keys, and numbers and booleans are parsed", () => {
    assert.deepEqual(fromEnv({ SWITCHBOARD_AUTH__ALLOW_ANONYMOUS: "false", SWITCHBOARD_LOG_LEVEL: "debug", OTHER: "x" }), {
      auth: { allowAnonymous: false },
      logLevel: "debug",
    });
  });

  it("--store/--broker URLs and SWITCHBOARD_STORE/BROKER fill the url of their section, beside any other key of it, in any order", () => {
    const url = "postgres://u:p@db:5432/sb";
    const flags = loadConfig(["--store", url, "--set", "store.poolSize=4", "--set", "broker.prefix=x:", "--broker", "redis://r:6379"], {});
    assert.deepEqual([flags.store.url, flags.store.poolSize, flags.broker.url, flags.broker.prefix], [url, 4, "redis://r:6379", "x:"]);
    const env = loadConfig([], { SWITCHBOARD_STORE__POOL_SIZE: "3", SWITCHBOARD_STORE: url, SWITCHBOARD_BROKER: "redis://r:6379" });
    assert.deepEqual([env.store.url, env.store.poolSize, env.broker.url], [url, 3, "redis://r:6379"]);
    assert.equal(loadConfig(["--node-id", "7"], {}).nodeId, "7", "a numeric node id stays text");
  });

  it("a data folder or host that looks like a number stays text", () => {
    assert.equal(loadConfig(["--data", "2024"], {}).data, "2024");
    assert.equal(loadConfig([], { SWITCHBOARD_DATA: "123" }).data, "123");
  });

  it("refuses unknown keys, wrong types and bad values with a message naming the key", async () => {
    assert.throws(() => loadConfig(["--port", "70000"], {}), (e: Error) => e instanceof ConfigError && /port/.test(e.message));
    assert.throws(() => loadConfig(["--set", "instalk.idelMs=5"], {}), (e: Error) => e instanceof ConfigError && /instalk/.test(e.message));
    assert.throws(() => loadConfig([], { SWITCHBOARD_LOG_LEVEL: "loud" }), (e: Error) => e instanceof ConfigError && /logLevel/.test(e.message));
    await withFile("{not json", (file) => {
      assert.throws(() => loadConfig(["--config", file], {}), (e: Error) => e instanceof ConfigError && /cannot read config file/.test(e.message));
    });
    await withFile([1, 2], (file) => {
      assert.throws(() => loadConfig(["--config", file], {}), (e: Error) => e instanceof ConfigError && /JSON object/.test(e.message));
    });
  });

  it("refuses malformed command lines", () => {
    assert.throws(() => parseFlags(["start"]), ConfigError);
    assert.throws(() => parseFlags(["--port"]), ConfigError);
    assert.throws(() => parseFlags(["--set", "novalue"]), ConfigError);
  });
});
