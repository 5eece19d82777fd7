import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON lines. Secrets are redacted by key wherever they appear, as a second
 * line of defence: code logs ids and sizes, never bodies or credentials.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { svc: "switchboard" },
      redact: {
        paths: [
          "token", "*.token", "accessToken", "*.accessToken", "password", "*.password", "pass", "*.pass",
          "key", "*.key", "secret", "*.secret", "body", "*.body", "content", "*.content",
          "req.headers.cookie", "req.headers.authorization",
        ],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
