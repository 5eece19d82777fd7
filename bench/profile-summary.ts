// Summarises what `npm run bench -- --scenario … --profile DIR` left in DIR:
// for each profiled server, the functions and the code areas (src/<layer>,
// node_modules/<package>, node internals, GC) with the most self time inside
// the measured windows of its .cpuprofile, and what the `after` heap snapshot
// holds beyond the `before` one per connection, by constructor. Lines of
// src/ files are mapped back through the transform tsx ran (a line marked *
// is in a file edited after the profile was written: it may be off).
//
//   node --import tsx bench/profile-summary.ts DIR              every run under DIR (writes DIR/summary.txt too)
//   node --import tsx bench/profile-summary.ts cpu FILE.cpuprofile [--from MS] [--to MS] [--top N]
//   node --import tsx bench/profile-summary.ts heap AFTER.heapsnapshot [BEFORE.heapsnapshot] [--per N] [--top N]
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

// ---------- CPU profiles ----------

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuSummary {
  /** Milliseconds covered by the samples kept (the windows), and how much of it was not idle. */
  wallMs: number;
  busyMs: number;
  functions: { name: string; area: string; ms: number }[];
  areas: { area: string; ms: number }[];
}

const SPECIAL = new Set(["(garbage collector)", "(program)", "(idle)", "(root)"]);

/** The code area a frame belongs to: a layer of src/, a package, a node internal module, or the engine. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (SPECIAL.has(functionName)) return functionName;
  if (url === "") return "(native: V8 builtins and C++)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const src = /\/src\/([^/]+)(?:\/([^/]+)\/)?/.exec(url);
  if (src) return src[2] && ["dialects", "engine"].includes(src[1]) ? `src/${src[1]}/${src[2]}` : `src/${src[1]}`;
  const bench = /\/(bench|test)\//.exec(url);
  if (bench) return bench[1];
  return url.replace(/^file:\/\//, "");
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, "$1/").replace(/^node_modules\//, "");

// The server runs its TypeScript through tsx, which has esbuild put each module
// on one line (minifyWhitespace), so a profile's line numbers say nothing and
// its anonymous functions cannot be told apart. The same transform, redone
// here with its source map, turns a (line, column) of the running code back
// into a line of the .ts file.

type Esbuild = typeof import("esbuild");
let esbuild: Esbuild | null | undefined;
const maps = new Map<string, number[][][] | null>();
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A source map's mappings: per generated line, segments [generated column, source, original line, original column]. */
function decodeMappings(mappings: string): number[][][] {
  const lines: number[][][] = [];
  const state = [0, 0, 0, 0];
  for (const line of mappings.split(";")) {
    state[0] = 0;
    const segs: number[][] = [];
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      for (let k = 0; k < fields.length; k++) state[k] += fields[k];
      if (fields.length >= 4) segs.push([state[0], state[1], state[2], state[3]]);
    }
    lines.push(segs);
  }
  return lines;
}

/** The .ts line (1-based) of a position in tsx's output for `url`; null when it cannot be redone. */
export async function sourceLine(url: string, line0: number, col0: number, since: number): Promise<{ line: number; changed: boolean } | null> {
  if (!url.startsWith("file://") || !/\.(ts|mts|cts|tsx)$/.test(url) || url.includes("/node_modules/")) return null;
  if (esbuild === undefined) {
    try {
      esbuild = (await import("esbuild")) as Esbuild;
    } catch {
      esbuild = null;
    }
  }
  if (esbuild === null) return null;
  const path = new URL(url).pathname;
  if (!maps.has(path)) {
    try {
      const out = esbuild.transformSync(readFileSync(path, "utf8"), {
        target: `node${process.versions.node}`, loader: "ts", sourcemap: true, minifyWhitespace: true, keepNames: true, format: "esm", sourcefile: path,
      });
      maps.set(path, decodeMappings((JSON.parse(out.map) as { mappings: string }).mappings));
    } catch {
      maps.set(path, null);
    }
  }
  const segs = maps.get(path)?.[line0];
  if (!segs || segs.length === 0) return null;
  let best = segs[0];
  for (const seg of segs) {
    if (seg[0] > col0) break;
    best = seg;
  }
  return { line: best[2] + 1, changed: statSync(path).mtimeMs > since };
}

/** Names every frame of a profile's own code `name file.ts:line` (lines from the transform redone); `*` marks a file edited since. */
async function frameNames(profile: CpuProfile, since: number): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    if (SPECIAL.has(f.functionName)) continue;
    let where = f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : "";
    const pos = f.url ? await sourceLine(f.url, f.lineNumber, f.columnNumber, since) : null;
    if (pos) where = ` ${shortUrl(f.url)}:${pos.line}${pos.changed ? "*" : ""}`;
    names.set(n.id, `${f.functionName || "(anonymous)"}${where}`);
  }
  return names;
}

/** Self time per function and per area, for the samples whose time lies in one of `windows` (ms from the profile's start; all when empty). */
export function summariseCpu(profile: CpuProfile, windows: { fromMs: number; toMs: number }[], names: Map<number, string> = new Map()): CpuSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const inWindow = (ms: number) => windows.length === 0 || windows.some((w) => ms >= w.fromMs && ms < w.toMs);
  const fn = new Map<string, { name: string; area: string; ms: number }>();
  const area = new Map<string, number>();
  let wall = 0;
  let busy = 0;
  let t = profile.startTime;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    // A sample stands for the time until the next one.
    const dur = (i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0) / 1000;
    if (!inWindow((t - profile.startTime) / 1000)) continue;
    const frame = byId.get(samples[i]);
    if (!frame) continue;
    wall += dur;
    if (frame.functionName !== "(idle)") busy += dur;
    const a = areaOf(frame);
    area.set(a, (area.get(a) ?? 0) + dur);
    const name = names.get(samples[i]) ?? (SPECIAL.has(frame.functionName) ? frame.functionName : `${frame.functionName || "(anonymous)"}${frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ""}`);
    const entry = fn.get(name) ?? { name, area: a, ms: 0 };
    entry.ms += dur;
    fn.set(name, entry);
  }
  return {
    wallMs: wall,
    busyMs: busy,
    functions: [...fn.values()].sort((a, b) => b.ms - a.ms),
    areas: [...area.entries()].map(([a, ms]) => ({ area: a, ms })).sort((x, y) => y.ms - x.ms),
  };
}

function printCpu(s: CpuSummary, top: number): string {
  const pct = (ms: number) => `${((ms / (s.busyMs || 1)) * 100).toFixed(1)}%`;
  const out = [`  window ${(s.wallMs / 1000).toFixed(2)} s, main thread busy ${(s.busyMs / 1000).toFixed(2)} s (${((s.busyMs / (s.wallMs || 1)) * 100).toFixed(0)}%); shares below are of the busy time`];
  out.push("  by area (self time):");
  for (const a of s.areas.filter((x) => x.area !== "(idle)").slice(0, top)) out.push(`    ${pct(a.ms).padStart(6)}  ${(a.ms).toFixed(0).padStart(7)} ms  ${a.area}`);
  out.push("  top functions (self time):");
  for (const f of s.functions.filter((x) => x.name !== "(idle)").slice(0, top)) out.push(`    ${pct(f.ms).padStart(6)}  ${(f.ms).toFixed(0).padStart(7)} ms  ${f.name}`);
  return out.join("\n");
}

// ---------- heap snapshots ----------

/** A .heapsnapshot read from its bytes: nodes and edges as numbers, only the strings table through JSON.parse. */
export interface Snapshot {
  file: string;
  F: number;
  nodes: Float64Array;
  edges: Uint32Array;
  /** Index into `edges` of each node's first edge. */
  firstEdge: Uint32Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
  field: { type: number; name: number; id: number; size: number; edgeCount: number };
  edgeField: { type: number; name: number; to: number; E: number };
  /** node index (nodes offset / F) → [script id, line, column] of a closure's code. */
  locations: Map<number, [number, number, number]>;
}

/** Reads the number array that starts at `from` (just after its '['), up to its ']'. */
function readNumbers<T extends Float64Array | Uint32Array>(buf: Buffer, from: number, into: T): T {
  let n = 0;
  let cur = 0;
  let inNum = false;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      cur = cur * 10 + (c - 48);
      inNum = true;
    } else {
      if (inNum) {
        if (n < into.length) into[n] = cur;
        n++;
        cur = 0;
        inNum = false;
      }
      if (c === 93) break; // ]
    }
  }
  if (n !== into.length) throw new Error(`expected ${into.length} numbers, read ${n}`);
  return into;
}

export function readSnapshot(file: string): Snapshot {
  const buf = readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":[');
  if (nodesAt < 0) throw new Error(`${file}: no "nodes" array (not a whole heap snapshot?)`);
  const head = buf.toString("utf8", 0, nodesAt).replace(/,\s*$/, "");
  const meta = JSON.parse(`${head}}`).snapshot as {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]]; location_fields?: string[] };
    node_count: number;
    edge_count: number;
  };
  const nf = meta.meta.node_fields;
  const ef = meta.meta.edge_fields;
  const F = nf.length;
  const E = ef.length;
  const nodes = readNumbers(buf, nodesAt + '"nodes":['.length, new Float64Array(meta.node_count * F));
  const edgesAt = buf.indexOf('"edges":[', nodesAt);
  const edges = readNumbers(buf, edgesAt + '"edges":['.length, new Uint32Array(meta.edge_count * E));
  const field = { type: nf.indexOf("type"), name: nf.indexOf("name"), id: nf.indexOf("id"), size: nf.indexOf("self_size"), edgeCount: nf.indexOf("edge_count") };
  const firstEdge = new Uint32Array(meta.node_count);
  for (let n = 0, e = 0; n < meta.node_count; n++) {
    firstEdge[n] = e;
    e += nodes[n * F + field.edgeCount] * E;
  }
  const locations = new Map<number, [number, number, number]>();
  const locAt = buf.indexOf('"locations":[', edgesAt);
  const lf = meta.meta.location_fields ?? ["object_index", "script_id", "line", "column"];
  if (locAt >= 0) {
    const end = buf.indexOf("]", locAt);
    const count = (buf.toString("latin1", locAt + 13, end).match(/\d+/g) ?? []).length;
    const loc = readNumbers(buf, locAt + '"locations":['.length, new Float64Array(count));
    for (let i = 0; i + lf.length <= loc.length; i += lf.length) {
      locations.set(loc[i + lf.indexOf("object_index")] / F, [loc[i + lf.indexOf("script_id")], loc[i + lf.indexOf("line")], loc[i + lf.indexOf("column")]]);
    }
  }
  const stringsAt = buf.lastIndexOf('"strings":[');
  const stringsEnd = buf.lastIndexOf("]");
  const strings = JSON.parse(buf.toString("utf8", stringsAt + '"strings":'.length, stringsEnd + 1)) as string[];
  return {
    file, F, nodes, edges, firstEdge, strings, nodeTypes: meta.meta.node_types[0], edgeTypes: meta.meta.edge_types[0], field,
    edgeField: { type: ef.indexOf("type"), name: ef.indexOf("name_or_index"), to: ef.indexOf("to_node"), E }, locations,
  };
}

/** An object's group: its constructor's name; strings, code and numbers each one group; closures by function name. */
function kindOf(s: Snapshot, n: number): string | null {
  const type = s.nodeTypes[s.nodes[n * s.F + s.field.type]];
  const name = s.strings[s.nodes[n * s.F + s.field.name]];
  switch (type) {
    case "synthetic":
      return null;
    case "string":
    case "concatenated string":
    case "sliced string":
      return "(strings)";
    case "code":
      return "(compiled code)";
    case "number":
      return "(heap numbers)";
    case "closure":
      return `closure ${name || "(anonymous)"}`;
    case "object":
      return name;
    default:
      return `${type}: ${name.length > 60 ? `${name.slice(0, 57)}…` : name}`;
  }
}

export interface HeapCounts {
  totalBytes: number;
  groups: Map<string, { count: number; bytes: number }>;
}

/** Objects counted by group, with their self sizes. */
export function countHeap(s: Snapshot): HeapCounts {
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  const count = s.nodes.length / s.F;
  for (let n = 0; n < count; n++) {
    const key = kindOf(s, n);
    if (key === null) continue;
    const size = s.nodes[n * s.F + s.field.size];
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    total += size;
  }
  return { totalBytes: total, groups };
}

export interface HeapRow {
  key: string;
  countPerConn: number;
  bytesPerConn: number;
}

/** What `after` holds beyond `before`, per connection, biggest first. */
export function diffHeap(after: HeapCounts, before: HeapCounts | null, per: number): { totalPerConn: number; rows: HeapRow[] } {
  const rows: HeapRow[] = [];
  for (const [key, a] of after.groups) {
    const b = before?.groups.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, countPerConn: (a.count - b.count) / per, bytesPerConn: (a.bytes - b.bytes) / per });
  }
  rows.sort((x, y) => y.bytesPerConn - x.bytesPerConn);
  return { totalPerConn: (after.totalBytes - (before?.totalBytes ?? 0)) / per, rows };
}

/**
 * The objects of `after` that `before` did not have (ids are stable within a
 * process), grouped by what holds them: "kind ← holder.field", the holder being
 * the first object (not a weak reference, not a GC root) that points at it.
 * New closures are also grouped by where their code is (script id, line, column).
 */
export function newObjects(
  after: Snapshot,
  before: Snapshot | null,
  per: number,
): { byHolder: HeapRow[]; byOwner: HeapRow[]; closures: { where: [number, number, number]; countPerConn: number; bytesPerConn: number }[] } {
  const old = new Set<number>();
  if (before) for (let i = before.field.id; i < before.nodes.length; i += before.F) old.add(before.nodes[i]);
  const count = after.nodes.length / after.F;
  const holder = new Int32Array(count).fill(-1);
  const holderEdge = new Int32Array(count).fill(-1);
  const { E } = after.edgeField;
  for (let n = 0; n < count; n++) {
    if (after.nodeTypes[after.nodes[n * after.F + after.field.type]] === "synthetic") continue;
    const from = after.firstEdge[n];
    const to = from + after.nodes[n * after.F + after.field.edgeCount] * E;
    for (let e = from; e < to; e += E) {
      const type = after.edgeTypes[after.edges[e + after.edgeField.type]];
      if (type === "weak" || type === "shortcut") continue;
      const target = after.edges[e + after.edgeField.to] / after.F;
      if (holder[target] === -1) {
        holder[target] = n;
        holderEdge[target] = e;
      }
    }
  }
  const isNew = (n: number) => !old.has(after.nodes[n * after.F + after.field.id]);
  // Owners: named classes with about one new instance per connection (a connection's own objects); generic kinds never own.
  const newPerKind = new Map<string, number>();
  for (let n = 0; n < count; n++) {
    if (!isNew(n) || after.nodeTypes[after.nodes[n * after.F + after.field.type]] !== "object") continue;
    const k = kindOf(after, n)!;
    newPerKind.set(k, (newPerKind.get(k) ?? 0) + 1);
  }
  const generic = new Set(["Object", "Array", "Map", "Set", "Promise", "system / Context", "Buffer", "ArrayBuffer", "Uint8Array", "Error"]);
  const owners = new Set([...newPerKind].filter(([k, c]) => !generic.has(k) && c >= 0.9 * per && c <= 1.1 * per).map(([k]) => k));
  const ownerOf = (n: number): string => {
    let cur = n;
    for (let k = 0; k < 24 && cur >= 0; k++) {
      if (after.nodeTypes[after.nodes[cur * after.F + after.field.type]] === "object" && owners.has(kindOf(after, cur)!)) return kindOf(after, cur)!;
      cur = holder[cur];
    }
    return "(no per-connection object above it: shared or room state)";
  };
  const byOwner = new Map<string, number>();
  const groups = new Map<string, { count: number; bytes: number }>();
  const closures = new Map<string, { where: [number, number, number]; count: number; bytes: number }>();
  for (let n = 0; n < count; n++) {
    if (!isNew(n)) continue;
    const kind = kindOf(after, n);
    if (kind === null) continue;
    const size = after.nodes[n * after.F + after.field.size];
    const h = holder[n];
    let via = "(held by a GC root or only weakly)";
    if (h >= 0) {
      const e = holderEdge[n];
      const type = after.edgeTypes[after.edges[e + after.edgeField.type]];
      const nameOrIndex = after.edges[e + after.edgeField.name];
      const field = type === "element" || type === "hidden" ? "[]" : `.${after.strings[nameOrIndex]}`;
      via = `${kindOf(after, h) ?? "(root)"}${field}`;
    }
    const owner = ownerOf(n);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + size);
    const key = `${kind} ← ${via}`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    const loc = after.locations.get(n);
    if (loc && after.nodeTypes[after.nodes[n * after.F + after.field.type]] === "closure") {
      const lk = loc.join(":");
      const c = closures.get(lk) ?? { where: loc, count: 0, bytes: 0 };
      c.count++;
      c.bytes += size;
      closures.set(lk, c);
    }
  }
  return {
    byOwner: [...byOwner.entries()].map(([key, bytes]) => ({ key, countPerConn: key.startsWith("(") ? 0 : (newPerKind.get(key) ?? 0) / per, bytesPerConn: bytes / per })).sort((a, b) => b.bytesPerConn - a.bytesPerConn),
    byHolder: [...groups.entries()].map(([key, g]) => ({ key, countPerConn: g.count / per, bytesPerConn: g.bytes / per })).sort((a, b) => b.bytesPerConn - a.bytesPerConn),
    closures: [...closures.values()].map((c) => ({ where: c.where, countPerConn: c.count / per, bytesPerConn: c.bytes / per })).sort((a, b) => b.countPerConn - a.countPerConn),
  };
}

function rowsText(rows: HeapRow[], top: number, minCount = 0): string[] {
  return rows
    .filter((r) => r.countPerConn >= minCount)
    .slice(0, top)
    .map((r) => `  ${r.bytesPerConn.toFixed(0).padStart(9)}  ${r.countPerConn.toFixed(2).padStart(12)}  ${r.key}`);
}

/** Script id → URL, from a CPU profile of the same process (a snapshot names no scripts). */
function scriptUrls(profile: CpuProfile | null): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of profile?.nodes ?? []) {
    const f = n.callFrame as CallFrame & { scriptId?: string | number };
    if (f.url && f.scriptId !== undefined) out.set(Number(f.scriptId), f.url);
  }
  return out;
}

async function heapReport(afterFile: string, beforeFile: string | null, per: number, top: number, profile: CpuProfile | null, since: number): Promise<string> {
  const after = readSnapshot(afterFile);
  const before = beforeFile ? readSnapshot(beforeFile) : null;
  const d = diffHeap(countHeap(after), before ? countHeap(before) : null, per);
  const out = [`  JS heap, live objects (self sizes) per connection: ${d.totalPerConn.toFixed(0)} B = ${(d.totalPerConn / 1024).toFixed(2)} KiB over ${per} connections`];
  out.push("  by constructor (after − before):", "     B/conn  objects/conn  constructor (or kind)", ...rowsText(d.rows, top));
  const fresh = newObjects(after, before, per);
  out.push(
    "  new objects by the nearest per-connection object above them (first-holder chain; a class with ~1 new instance per connection owns what hangs below it):",
    "     B/conn  owners/conn  owner",
    ...fresh.byOwner.slice(0, top).map((r) => `  ${r.bytesPerConn.toFixed(0).padStart(9)}  ${r.countPerConn.toFixed(2).padStart(11)}  ${r.key}`),
  );
  out.push("  new objects by what holds them (kind ← holder.field; one per connection or more):", "     B/conn  objects/conn  kind ← holder", ...rowsText(fresh.byHolder, top, 0.5));
  if (fresh.closures.length > 0) {
    const urls = scriptUrls(profile);
    out.push("  new closures by where their code is (one per connection or more):", "     B/conn  closures/conn  function");
    for (const c of fresh.closures.filter((x) => x.countPerConn >= 0.5).slice(0, top)) {
      const [script, line, column] = c.where;
      const url = urls.get(script);
      let where = url ? `${shortUrl(url)}:${line + 1}` : `script ${script}:${line + 1}:${column + 1}`;
      const pos = url ? await sourceLine(url, line, column, since) : null;
      if (url && pos) where = `${shortUrl(url)}:${pos.line}${pos.changed ? "*" : ""}`;
      out.push(`  ${c.bytesPerConn.toFixed(0).padStart(9)}  ${c.countPerConn.toFixed(2).padStart(13)}  ${where}`);
    }
  }
  return out.join("\n");
}

// ---------- the command ----------

interface Manifest {
  scenario: string;
  server: string;
  connections: number;
  windows: { label: string; fromMs: number; toMs: number }[];
  heap: { before?: string; after?: string };
  note?: string;
}

async function summariseDir(dir: string, top: number): Promise<string> {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(sub, "manifest.json"), "utf8")) as Manifest;
    } catch {
      continue;
    }
    out.push(`== ${manifest.scenario}: ${manifest.server} (${relative(process.cwd(), sub)})${manifest.note ? ` — ${manifest.note}` : ""}`);
    const profiles = readdirSync(sub).filter((f) => f.endsWith(".cpuprofile"));
    for (const p of profiles) {
      const profile = JSON.parse(readFileSync(join(sub, p), "utf8")) as CpuProfile;
      const summary = summariseCpu(profile, manifest.windows, await frameNames(profile, statSync(join(sub, p)).mtimeMs));
      // Node writes one profile per thread (CPU.<date>.<time>.<pid>.<thread>.<n>); a helper thread that slept says so in one line.
      if (summary.busyMs < 1) {
        out.push(`CPU profile ${p}: no busy samples in the windows (an idle helper thread)`);
        continue;
      }
      out.push(`CPU profile ${p}, windows: ${manifest.windows.map((w) => `${w.label} [${(w.fromMs / 1000).toFixed(1)}–${(w.toMs / 1000).toFixed(1)} s]`).join("; ") || "whole run"}`);
      out.push(printCpu(summary, top));
    }
    if (manifest.heap.after && manifest.connections > 0) {
      const main = profiles.find((p) => /\.0\.\d+\.cpuprofile$/.test(p));
      const profile = main ? (JSON.parse(readFileSync(join(sub, main), "utf8")) as CpuProfile) : null;
      out.push(`heap: ${manifest.heap.after}${manifest.heap.before ? ` − ${manifest.heap.before}` : ""}, ${manifest.connections} connections`);
      const since = statSync(join(sub, manifest.heap.after)).mtimeMs;
      out.push(await heapReport(join(sub, manifest.heap.after), manifest.heap.before ? join(sub, manifest.heap.before) : null, manifest.connections, top, profile, since));
    }
    out.push("");
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { from: { type: "string" }, to: { type: "string" }, per: { type: "string" }, top: { type: "string" } },
  });
  const top = Number(values.top ?? 25);
  const [first, ...rest] = positionals;
  if (first === "cpu" && rest[0]) {
    const profile = JSON.parse(readFileSync(rest[0], "utf8")) as CpuProfile;
    const windows = values.from || values.to ? [{ fromMs: Number(values.from ?? 0), toMs: Number(values.to ?? Infinity) }] : [];
    process.stdout.write(`${printCpu(summariseCpu(profile, windows, await frameNames(profile, statSync(rest[0]).mtimeMs)), top)}\n`);
  } else if (first === "heap" && rest[0]) {
    const per = Number(values.per ?? 1);
    process.stdout.write(`${await heapReport(rest[0], rest[1] ?? null, per, top, null, statSync(rest[0]).mtimeMs)}\n`);
  } else if (first && statSync(first, { throwIfNoEntry: false })?.isDirectory()) {
    const text = await summariseDir(first, top);
    writeFileSync(join(first, "summary.txt"), text);
    process.stdout.write(`${text}\n(written to ${join(first, "summary.txt")})\n`);
  } else {
    process.stdout.write("usage: profile-summary.ts DIR | cpu FILE.cpuprofile [--from MS --to MS] | heap AFTER [BEFORE] [--per N]   [--top N]\n");
    process.exitCode = 2;
  }
}

// Run as a command; imported (by a one-off analysis), it only lends its parsers.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
