import { z } from "zod";

const ms = z.number().int().min(1);

export const configSchema = z.strictObject({
  port: z.number().int().min(0).max(65535),
  host: z.string(),
  data: z.string().min(1),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  /** How long a SIGTERM drain may take before the process exits anyway. */
  drainMs: ms,
  /** Names this node in the fleet's registry and presence. Empty: hostname:port. */
  nodeId: z.string().max(128).regex(/^[^\s/]*$/, "no spaces or slashes"),
  /** Peers (exact addresses) whose X-Forwarded-For names the client's address: the load balancers in front. */
  trustedProxies: z.array(z.string().min(1)),
  store: z.strictObject({
    /** Empty: the SQLite file in the data folder. `postgres://user:pass@host:5432/db`: PostgreSQL. */
    url: z.string().refine((u) => u === "" || /^postgres(ql)?:\/\//.test(u), { message: "must be empty (SQLite) or a postgres:// URL" }),
    /** NORMAL survives a process kill in WAL mode; FULL also survives power loss (SQLite). */
    synchronous: z.enum(["NORMAL", "FULL"]),
    /** Connections in the PostgreSQL pool. */
    poolSize: z.number().int().min(2).max(1000),
  }),
  broker: z.strictObject({
    /** Empty: in-process (one node). `redis://host:6379`: a fleet on Redis. */
    url: z.string().refine((u) => u === "" || /^rediss?:\/\//.test(u), { message: "must be empty (in-process) or a redis:// URL" }),
    /** Prefix of every Redis key and channel, so several fleets can share one Redis. */
    prefix: z.string().max(64),
  }),
  cluster: z.strictObject({
    /** How often a node writes its heartbeat to the registry. */
    heartbeatMs: ms,
    /** A node silent for this long is dead: its members leave every room. */
    deadAfterMs: ms,
    /** How often each channel's position is checked against the store (finds a lost last message). */
    positionCheckMs: ms,
  }),
  auth: z.strictObject({
    /** Bearer key of the admin API (/api/cluster, /api/config). Empty: generated into <data>/admin.key on first start. */
    adminKey: z.string().refine((s) => s === "" || s.length >= 16, { message: "must be empty (generated) or at least 16 characters" }),
    /** Signs access tokens. Empty: generated into <data>/secret.key on first start. */
    secret: z.string().refine((s) => s === "" || s.length >= 16, { message: "must be empty (generated) or at least 16 characters" }),
    /** Old secrets that still verify tokens, for key rotation. */
    previousSecrets: z.array(z.string().min(16)),
    tokenTtlSeconds: z.number().int().min(1),
    anonymousTtlSeconds: z.number().int().min(1),
    allowAnonymous: z.boolean(),
    sessionKeyTtlSeconds: z.number().int().min(1),
    minPasswordLength: z.number().int().min(1),
    loginFailuresPerName: z.number().int().min(1),
    loginFailuresPerAddress: z.number().int().min(1),
    loginWindowSeconds: z.number().int().min(1),
    /** Accounts (HTTP and fuse) and stored anonymous session keys one address may create per window. */
    creationsPerAddress: z.number().int().min(1),
    creationWindowSeconds: z.number().int().min(1),
  }),
  limits: z.strictObject({
    /** Largest inbound frame for dialects without a limit of their own (pubsub sizes frames by its maxDataBytes). */
    maxFrameBytes: z.number().int().min(1024),
    /** Outbound bytes a connection may have waiting before it is cut off as a slow reader. */
    maxQueueBytes: z.number().int().min(65536),
    messagesPerSecond: z.number().positive(),
    burst: z.number().int().min(1),
    /**
     * A connection refused by the rate limit without a second's pause for this
     * long is flooding: it gets the dialect's error and is closed (1008).
     */
    floodGraceMs: ms,
    /** Open connections (WebSocket, SSE, long-poll) one client address may hold on this node; past it, HTTP 429. */
    connectionsPerAddress: z.number().int().min(1),
  }),
  /** The SSE and long-poll transports of every endpoint (`<path>/sse`, `<path>/poll`; fuse's `/push` and `/pull` have their own settings). */
  transports: z.strictObject({
    /** How long a poll is held open when there is nothing to send; then it is answered 204. */
    pollWaitMs: ms,
    /** A long-poll session nobody polls for this long is lost (1006), as a WebSocket whose TCP connection died. */
    pollGoneMs: ms,
    /** How long an ended long-poll session still answers polls (its last frames, then its close) before it is forgotten (404). */
    pollLingerMs: ms,
    /** An idle SSE stream gets a `:` comment this often, so proxies and browsers do not take it for dead. */
    sseKeepAliveMs: ms,
    /**
     * Origins (`https://app.example`) whose pages may use these URLs with credentials (CORS
     * `Access-Control-Allow-Credentials`). Every Origin is allowed back without credentials.
     */
    allowedOrigins: z.array(z.string().min(1)),
  }),
  metrics: z.strictObject({
    /** 0: /metrics is served on the main port. Otherwise only on this port (and no longer on the main one). */
    port: z.number().int().min(0).max(65535),
    /** Address of the metrics port. Empty: the same as `host`. */
    host: z.string(),
    /** Non-empty: /metrics wants `Authorization: Bearer <token>`, wherever it is served. */
    token: z.string().refine((s) => s === "" || s.length >= 16, { message: "must be empty (none) or at least 16 characters" }),
  }),
  instalk: z.strictObject({
    graceMs: ms,
    idleMs: ms,
    maxRoomsPerConnection: z.number().int().min(1),
    joinHistory: z.number().int().min(0),
    loadPage: z.number().int().min(1),
    syncPage: z.number().int().min(1),
    fetchPage: z.number().int().min(1),
    maxBodyChars: z.number().int().min(1),
  }),
  relay: z.strictObject({
    /** How often the server pings each relay socket. */
    pingIntervalMs: ms,
    /** A ping not answered within this is a disconnect. */
    pongTimeoutMs: ms,
    /** How long an invite waits for an offline user, and how long a closed room's pass holds. */
    inviteTtlSeconds: z.number().int().min(1),
    maxRoomsPerConnection: z.number().int().min(1),
  }),
  fuse: z.strictObject({
    /** How often an idle pull stream gets `noop`. */
    noopMs: ms,
    /** Accept `name` alone as the HTTP session (the original protocol's way): anyone who knows a name can act as it. */
    legacy: z.boolean(),
    /** An HTTP session with no pull attached and no push for this long is logged out. */
    sessionIdleMs: ms,
    maxLineBytes: z.number().int().min(64),
    maxRoomSize: z.number().int().min(2),
    /** Encrypts the stored keys and passes (base64, 32 bytes). Empty: generated into <data>/fuse.key on first start. */
    secretKey: z.string(),
    /** Origins (`https://game.example`) whose pages may use the session cookie cross-site: credentials in CORS, `SameSite=None` over https. */
    allowedOrigins: z.array(z.string().min(1)),
    /** An anonymous user (`user||` with no name) is forgotten after this long without an `open`. */
    anonymousTtlSeconds: z.number().int().min(1),
    /** How long an idle HTTP keep-alive connection stays open (the server's `keepAliveTimeout`): fuse's C# client reuses one for a whole game. */
    keepAliveMs: ms,
  }),
  really: z.strictObject({
    /** A socket that sends nothing for this long is told `kicked` and closed. */
    idleMs: ms,
    /** Largest document body (UTF-8 JSON); bigger writes get 413. */
    maxDocumentBytes: z.number().int().min(2),
    maxMessageChars: z.number().int().min(1),
    /** Objects and collections one socket may follow at once. */
    maxSubscriptions: z.number().int().min(1),
    /** Who may read and write documents of a collection not named in `collections`. */
    defaultAccess: z.strictObject({ read: z.enum(["any", "owner"]), write: z.enum(["any", "owner"]) }),
    collections: z.record(z.string(), z.strictObject({ read: z.enum(["any", "owner"]), write: z.enum(["any", "owner"]) })),
  }),
  pubsub: z.strictObject({
    /** How long a session can be resumed after its connection went away. */
    sessionTtlMs: ms,
    /** Newest messages each topic keeps for resume. */
    historySize: z.number().int().min(1),
    /** Messages older than this are no longer replayed. */
    historyAgeMs: ms,
    /** Largest `data` of one `pub` (UTF-8 JSON); bigger gets 413. */
    maxDataBytes: z.number().int().min(1),
    maxTopicsPerRequest: z.number().int().min(1),
    maxSubscriptions: z.number().int().min(1),
    /** A connection that neither connects nor resumes within this is closed. */
    connectGraceMs: ms,
    /** How often watched topics are reconciled with the broker's presence (a dead node's users leave). */
    presenceSweepMs: ms,
    /** How often a live session's cursors are written to the store at most. */
    checkpointMs: ms,
    /** Topic patterns: `*` one segment (or part of one), `**` any rest, `{user}` the caller's id. */
    topics: z.strictObject({ subscribe: z.array(z.string().min(1)), publish: z.array(z.string().min(1)) }),
    /** External login providers by name: the verifier gets `{provider, access_token}` and answers `{id, name}`. */
    providers: z.record(
      z.string().regex(/^[a-z0-9_-]{1,32}$/).refine((name) => name !== "switchboard" && name !== "anonymous", "reserved provider name"),
      z.strictObject({ verifierUrl: z.url({ protocol: /^https?$/ }), timeoutMs: ms, cacheSeconds: z.number().int().min(0) }),
    ),
  }),
});

export type Config = z.infer<typeof configSchema>;

export const defaults: Config = {
  port: 4040,
  host: "0.0.0.0",
  data: "./data",
  logLevel: "info",
  drainMs: 10_000,
  nodeId: "",
  trustedProxies: [],
  store: { url: "", synchronous: "NORMAL", poolSize: 10 },
  broker: { url: "", prefix: "sb:" },
  cluster: { heartbeatMs: 2000, deadAfterMs: 10_000, positionCheckMs: 2000 },
  auth: {
    adminKey: "",
    secret: "",
    previousSecrets: [],
    tokenTtlSeconds: 86_400,
    anonymousTtlSeconds: 86_400,
    allowAnonymous: true,
    sessionKeyTtlSeconds: 30 * 86_400,
    minPasswordLength: 8,
    loginFailuresPerName: 5,
    loginFailuresPerAddress: 20,
    loginWindowSeconds: 300,
    creationsPerAddress: 20,
    creationWindowSeconds: 60,
  },
  limits: { maxFrameBytes: 65_536, maxQueueBytes: 8 * 1024 * 1024, messagesPerSecond: 50, burst: 100, floodGraceMs: 5000, connectionsPerAddress: 1000 },
  transports: { pollWaitMs: 25_000, pollGoneMs: 50_000, pollLingerMs: 50_000, sseKeepAliveMs: 20_000, allowedOrigins: [] },
  metrics: { port: 0, host: "", token: "" },
  instalk: {
    graceMs: 10_000,
    idleMs: 60_000,
    maxRoomsPerConnection: 100,
    joinHistory: 50,
    loadPage: 10,
    syncPage: 500,
    fetchPage: 50,
    maxBodyChars: 4000,
  },
  relay: { pingIntervalMs: 25_000, pongTimeoutMs: 10_000, inviteTtlSeconds: 86_400, maxRoomsPerConnection: 100 },
  fuse: { noopMs: 5000, legacy: false, sessionIdleMs: 60_000, maxLineBytes: 8192, maxRoomSize: 1024, secretKey: "", allowedOrigins: [], anonymousTtlSeconds: 30 * 86_400, keepAliveMs: 300_000 },
  really: {
    idleMs: 120_000,
    maxDocumentBytes: 16_384,
    maxMessageChars: 4000,
    maxSubscriptions: 500,
    defaultAccess: { read: "any", write: "owner" },
    collections: {},
  },
  pubsub: {
    sessionTtlMs: 120_000,
    historySize: 1000,
    historyAgeMs: 600_000,
    maxDataBytes: 65_536,
    maxTopicsPerRequest: 32,
    maxSubscriptions: 256,
    connectGraceMs: 10_000,
    presenceSweepMs: 5000,
    checkpointMs: 5000,
    topics: { subscribe: ["*", "*/presence", "*/me", "*/{user}"], publish: ["*", "*/*"] },
    providers: {},
  },
};
