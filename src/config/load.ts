import { existsSync, readFileSync } from "node:fs";
import { configSchema, defaults, type Config } from "./schema.js";

type Tree = { [key: string]: unknown };

export class ConfigError extends Error {}

const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

export function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTree(v) && isTree(out[k]) ? merge(out[k] as Tree, v) : v;
  return out;
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]] = value;
}

/** Numbers and booleans from the command line and the environment arrive as text. */
function parseScalar(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const camel = (snake: string) => snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** SWITCHBOARD_LOG_LEVEL → logLevel; SWITCHBOARD_INSTALK__IDLE_MS → instalk.idleMs. */
export function fromEnv(env: NodeJS.ProcessEnv): Tree {
  const tree: Tree = {};
  for (const [name, value] of Object.entries(env)) {
    // SWITCHBOARD_CONFIG names the file; SWITCHBOARD_TEST_* are the test suite's own (SWITCHBOARD_TEST_PG).
    if (!name.startsWith("SWITCHBOARD_") || name === "SWITCHBOARD_CONFIG" || name.startsWith("SWITCHBOARD_TEST_") || value === undefined) continue;
    const path = name.slice("SWITCHBOARD_".length).split("__").map(camel);
    // SWITCHBOARD_STORE=<url> is store.url, merged with any SWITCHBOARD_STORE__* beside it.
    if (path.length === 1 && URL_SHORTHANDS.includes(path[0])) setPath(tree, [path[0], "url"], value);
    else setPath(tree, path, path[path.length - 1] === "data" || path[path.length - 1] === "host" ? value : parseScalar(value));
  }
  return shorthand(tree);
}

/** `--store URL` and `SWITCHBOARD_STORE=URL` (likewise broker) stand for `store.url`. */
const URL_SHORTHANDS = ["store", "broker"];

function shorthand(tree: Tree): Tree {
  if (typeof tree.nodeId === "number") tree.nodeId = String(tree.nodeId);
  return tree;
}

export interface Flags {
  config?: string;
  values: Tree;
}

/** --port 5000, --data dir, --log-level debug, --set instalk.idleMs=500, --config file.json */
export function parseFlags(argv: string[]): Flags {
  const values: Tree = {};
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument: ${arg}`);
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`--${flag} needs a value`);
    if (flag === "config") config = value;
    else if (flag === "set") {
      const eq = value.indexOf("=");
      if (eq < 1) throw new ConfigError(`--set takes key.path=value, got: ${value}`);
      setPath(values, value.slice(0, eq).split("."), parseScalar(value.slice(eq + 1)));
    } else if (URL_SHORTHANDS.includes(flag)) {
      // Into the section, not over it: `--set store.poolSize=…` before or after keeps both.
      setPath(values, [flag, "url"], value);
    } else if (flag === "data" || flag === "host" || flag === "node-id") values[camel(flag.replace(/-/g, "_"))] = value;
    else values[camel(flag.replace(/-/g, "_"))] = parseScalar(value);
  }
  return { config, values: shorthand(values) };
}

function readFile(path: string): Tree {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (!isTree(parsed)) throw new ConfigError(`config file ${path} must hold a JSON object`);
  return parsed;
}

/** flags > environment > file > defaults. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env, overrides: Tree = {}): Config {
  const flags = parseFlags(argv);
  const file = flags.config ?? env.SWITCHBOARD_CONFIG ?? (existsSync("switchboard.json") ? "switchboard.json" : undefined);
  let tree = defaults as unknown as Tree;
  if (file) tree = merge(tree, readFile(file));
  tree = merge(merge(merge(tree, fromEnv(env)), flags.values), overrides);
  return validate(tree);
}

export function validate(tree: Tree): Config {
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** For in-process servers (tests, embedding): defaults with some values changed. */
export function configWith(overrides: Tree): Config {
  return validate(merge(defaults as unknown as Tree, overrides));
}
