import type { DocCode } from "../../core/documents/documents.js";
import type { WireError } from "./render.js";

/** A refusal a command answers with; thrown so nested steps can refuse without threading results back. */
export class ReallyError extends Error implements WireError {
  constructor(
    readonly code: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

export function refuse(code: number, message: string, errors?: Record<string, string>): never {
  throw new ReallyError(code, message, errors);
}

const DOC_REFUSALS: Record<DocCode, [number, string]> = {
  missing: [404, "object.missing"],
  gone: [410, "object.gone"],
  stale: [409, "object.revision.outdated"],
  forbidden: [403, "object.forbidden"],
  invalid: [400, "request.invalid"],
  "too-large": [413, "object.too-large"],
};

/** The core's refusal as the protocol's; the core's explanation goes along in `errors`. */
export function docRefusal(code: DocCode, detail?: string): never {
  const [status, message] = DOC_REFUSALS[code];
  return refuse(status, message, detail === undefined ? undefined : { [code === "stale" ? "rev" : "body"]: detail });
}
