// A TCP forwarder between a store and the test PostgreSQL server, so a test can
// take the database away (and give it back) without touching the shared server.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface PgProxy {
  /** `url` with host and port pointing at the proxy. */
  url: string;
  /** Resets every open connection and refuses new ones: the database is gone. */
  cut(): void;
  /** Connections stay open but nothing passes either way: the network went silent. */
  blackhole(): void;
  /** Forwards again (new connections; silenced ones are reset first). */
  restore(): void;
  close(): Promise<void>;
}

type Mode = "up" | "cut" | "silent";

export async function startPgProxy(url: string): Promise<PgProxy> {
  const target = new URL(url);
  const host = target.hostname;
  const port = Number(target.port || 5432);
  let mode: Mode = "up";
  const pairs = new Set<[Socket, Socket]>();

  const server: Server = createServer((client) => {
    client.on("error", () => undefined);
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "silent") {
      // Accepted and never answered, like a host that vanished mid-route.
      pairs.add([client, client]);
      return;
    }
    const upstream = connect(port, host);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forget = () => pairs.delete(pair);
    client.on("close", forget);
    upstream.on("close", forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("proxy has no port");
  const proxied = new URL(url);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(address.port);

  const resetAll = () => {
    for (const [a, b] of pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    pairs.clear();
  };

  return {
    url: proxied.toString(),
    cut() {
      mode = "cut";
      resetAll();
    },
    blackhole() {
      mode = "silent";
      for (const [a, b] of pairs) {
        a.unpipe();
        b.unpipe();
        a.pause();
        b.pause();
      }
    },
    restore() {
      if (mode === "silent") resetAll();
      mode = "up";
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
