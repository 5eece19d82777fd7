import { parseArgs } from "node:util";

export type Scenario = "fanout" | "durable" | "cluster";

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
}

const HELP = `npm run bench -- [options]

  --scenario <s>   fanout (default): the run below; durable: stored messages per second
                   on SQLite and PostgreSQL against the raw insert rate of each;
                   cluster: one node against a fleet (Redis), both on PostgreSQL

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
`;

const SCENARIOS: Scenario[] = ["fanout", "durable", "cluster"];
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
  return {
    scenario,
    senders: values.senders ? values.senders.split(",").map((n) => positive("senders", n.trim(), 0)) : quick ? [10] : [10, 50, 200],
    inFlight: positive("in-flight", values["in-flight"], 20),
    seconds,
    pg: values.pg ?? process.env.SWITCHBOARD_TEST_PG ?? DEFAULT_PG,
    rate: positive("rate", values.rate, 1000),
    nodes: positive("nodes", values.nodes, 3),
    clients: positive("clients", values.clients, scenario === "cluster" ? (quick ? 100 : 300) : quick ? 100 : 1000),
    messages: positive("messages", values.messages, quick ? 200 : 2000),
    idle: positive("idle", values.idle, quick ? 500 : 5000),
    capSeconds: positive("cap", values.cap, 20),
    only: values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [],
    quick,
  };
}
