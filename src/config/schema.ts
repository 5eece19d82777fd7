import { z } from "zod";

const ms = z.number().int().min(1);

export const configSchema = z.strictObject({
  port: z.number().int().min(0).max(65535),
  host: z.string(),
  data: z.string().min(1),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  /** How long a SIGTERM drain may take before the process exits anyway. */
  drainMs: ms,
  store: z.strictObject({
    kind: z.enum(["sqlite"]),
    /** NORMAL survives a process kill in WAL mode; FULL also survives power loss. */
    synchronous: z.enum(["NORMAL", "FULL"]),
  }),
  broker: z.strictObject({ kind: z.enum(["local"]) }),
  auth: z.strictObject({
    /** Signs access tokens. Empty: generated into <data>/secret.key on first start. */
    secret: z.string(),
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
  }),
  limits: z.strictObject({
    /** Largest inbound frame any dialect accepts. */
    maxFrameBytes: z.number().int().min(1024),
    /** Outbound bytes a connection may have waiting before it is cut off as a slow reader. */
    maxQueueBytes: z.number().int().min(65536),
    messagesPerSecond: z.number().positive(),
    burst: z.number().int().min(1),
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
});

export type Config = z.infer<typeof configSchema>;

export const defaults: Config = {
  port: 4040,
  host: "0.0.0.0",
  data: "./data",
  logLevel: "info",
  drainMs: 10_000,
  store: { kind: "sqlite", synchronous: "NORMAL" },
  broker: { kind: "local" },
  auth: {
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
  },
  limits: { maxFrameBytes: 65_536, maxQueueBytes: 8 * 1024 * 1024, messagesPerSecond: 50, burst: 100 },
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
};
