import { parseArgs } from "node:util";

export type Scenario = "fanout" | "durable" | "cluster" | "idle" | "join" | "latency";

export interface BenchOptions {
  /** fanout (default): fan-out throughput and idle memory against the baselines; durable: stored-message throughput per store. */
  scenario: Scenario;
  clients: number;
  messages: number;
  idle: number;
  capSeconds: number;
  /** Contestant keys to run; all when empty. */
  only: string[];
  quick: boolean;
  /** durable: sender counts to measure, each sender in a room of its own. */
  senders: number[];
  /** durable: messages each sender keeps in flight. */
  inFlight: number;
  /** durable: seconds each measurement runs (at most 10). */
  seconds: number;
  /** durable, cluster: the PostgreSQL server to make a throwaway database on (an admin URL); skipped when unreachable. */
  pg: string;
  /** cluster: messages per second the senders offer, whatever the servers make of them. */
  rate: number;
  /** cluster: nodes of the fleet (and senders, in every setup). */
  nodes: number;
  /** join: how many clients join the one room, one measurement per count. */
  join: number[];
  /** latency: offered publish rates (messages per second), one window each. */
  rates: number[];
  /** join, latency: client processes the raw clients are spread over. */
  workers: number;
  /** join: seconds after which a join that has not finished is given up (and reported as such). */
  giveUpSeconds: number;
  /** idle, join, durable, latency: a folder for the Switchboard server's CPU profile and (idle, join) heap snapshots; null: no profiling. */
  profile: string | null;
}

const HELP = `npm run bench -- [options]

  --scenario <s>   fanout (default): the run below; durable: stored messages per second
                   on SQLite and PostgreSQL against the raw insert rate of each;
                   cluster: one node against a fleet (Redis), both on PostgreSQL;
                   idle: server RSS per idle initialised-and-joined connection against raw ws;
                   join: time to connect + init + join N clients into one room against raw ws connects;
                   latency: publish-to-delivery p50/p99 to one room at fixed rates, against both ws servers

  --clients <n>    receivers in the fan-out room (default 1000)
  --messages <n>   messages the publisher sends (default 2000)
  --idle <n>       idle connections for the memory measure (default 5000)
  --cap <s>        longest a fan-out round may take before it is cut off (default 20)
  --only <keys>    comma list of: ws, ws-batched, switchboard, socket.io
  --quick          a tiny run: 100 clients, 200 messages, 500 idle (durable: 10 senders, 3 s)

durable scenario:
  --senders <list> comma list of sender counts (default 10,50,200)
  --in-flight <n>  messages each sender keeps unacknowledged (default 20)
  --seconds <n>    length of each measurement, 1..10 (default 5)
  --pg <url>       PostgreSQL admin URL (default $SWITCHBOARD_TEST_PG or postgres://postgres@127.0.0.1:5432/postgres)

cluster scenario (also --clients, --seconds, --pg, --quick):
  --clients <n>    instalk receivers in the room, spread over the nodes (default 300)
  --rate <n>       messages per second offered by the senders (default 1000)
  --nodes <n>      nodes of the fleet, and senders in every setup (default 3)
  --seconds <n>    measuring window per setup, 1..10 (default 5; --quick 3)

idle scenario (also --quick, --profile):
  --idle <n>       idle connections per row, rooms of 50 (default 10000; --quick 1000)
  --only <keys>    rows to run: ws, ws-batched, socket.io, switchboard-connected (no init),
                   switchboard-init (init, no room), switchboard (init + join); default all

join scenario (also --quick, --profile):
  --join <list>    comma list of client counts joining one room (default 1000,10000; --quick 300)
  --workers <n>    client processes the clients are spread over (default 2)
  --give-up <s>    a join still unfinished after this many seconds is abandoned (default 120)

latency scenario (also --only ws,ws-batched,switchboard, --seconds, --workers, --quick, --profile):
  --clients <n>    receivers in the room (default 1000; --quick 200)
  --rates <list>   comma list of offered messages per second (default 100,1000)

profiling (idle, join, durable):
  --profile <dir>  run the Switchboard server with --cpu-prof into <dir>/<run>/, and (idle, join)
                   take heap snapshots of it before and after the connections (SIGUSR2); then
                   summarise with: node --import tsx bench/profile-summary.ts <dir>
`;

const SCENARIOS: Scenario[] = ["fanout", "durable", "cluster", "idle", "join", "latency"];
const DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres";

const positive = (name: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive whole number, got ${value}`);
  return n;
};

export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: "string" },
      messages: { type: "string" },
      idle: { type: "string" },
      cap: { type: "string" },
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      scenario: { type: "string" },
      senders: { type: "string" },
      "in-flight": { type: "string" },
      seconds: { type: "string" },
      pg: { type: "string" },
      rate: { type: "string" },
      nodes: { type: "string" },
      join: { type: "string" },
      rates: { type: "string" },
      workers: { type: "string" },
      "give-up": { type: "string" },
      profile: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return null;
  }
  const quick = values.quick ?? false;
  const scenario = (values.scenario ?? "fanout") as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(", ")}, got ${values.scenario}`);
  const seconds = positive("seconds", values.seconds, quick ? 3 : 5);
  if (seconds > 10) throw new Error("--seconds is at most 10: each measurement stays bounded");
  const list = (name: string, value: string | undefined, fallback: number[]) =>
    value ? value.split(",").map((n) => positive(name, n.trim(), 0)) : fallback;
  const giveUpSeconds = positive("give-up", values["give-up"], 120);
  if (giveUpSeconds > 600) throw new Error("--give-up is at most 600: each measurement stays bounded");
  const workers = positive("workers", values.workers, 2);
  if (workers > 16) throw new Error("--workers is at most 16");
  const idleDefault = scenario === "idle" ? (quick ? 1000 : 10_000) : quick ? 500 : 5000;
  const clientsDefault = scenario === "cluster" ? (quick ? 100 : 300) : scenario === "latency" ? (quick ? 200 : 1000) : quick ? 100 : 1000;
  return {
    scenario,
    senders: values.senders ? values.senders.split(",").map((n) => positive("senders", n.trim(), 0)) : quick ? [10] : [10, 50, 200],
    inFlight: positive("in-flight", values["in-flight"], 20),
    seconds,
    pg: values.pg ?? process.env.SWITCHBOARD_TEST_PG ?? DEFAULT_PG,
    rate: positive("rate", values.rate, 1000),
    nodes: positive("nodes", values.nodes, 3),
    clients: positive("clients", values.clients, clientsDefault),
    messages: positive("messages", values.messages, quick ? 200 : 2000),
    idle: positive("idle", values.idle, idleDefault),
    capSeconds: positive("cap", values.cap, 20),
    only: values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [],
    quick,
    join: list("join", values.join, quick ? [300] : [1000, 10_000]),
    rates: list("rates", values.rates, quick ? [100] : [100, 1000]),
    workers,
    giveUpSeconds,
    profile: values.profile ?? null,
  };
}
