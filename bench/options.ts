import { parseArgs } from "node:util";

export interface BenchOptions {
  clients: number;
  messages: number;
  idle: number;
  capSeconds: number;
  /** Contestant keys to run; all when empty. */
  only: string[];
  quick: boolean;
}

const HELP = `npm run bench -- [options]

  --clients <n>    receivers in the fan-out room (default 1000)
  --messages <n>   messages the publisher sends (default 2000)
  --idle <n>       idle connections for the memory measure (default 5000)
  --cap <s>        longest a fan-out round may take before it is cut off (default 20)
  --only <keys>    comma list of: ws, ws-batched, switchboard, socket.io
  --quick          a tiny run: 100 clients, 200 messages, 500 idle
`;

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
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return null;
  }
  const quick = values.quick ?? false;
  return {
    clients: positive("clients", values.clients, quick ? 100 : 1000),
    messages: positive("messages", values.messages, quick ? 200 : 2000),
    idle: positive("idle", values.idle, quick ? 500 : 5000),
    capSeconds: positive("cap", values.cap, 20),
    only: values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [],
    quick,
  };
}
