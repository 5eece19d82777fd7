import { ensureWebBuild, webDist } from "../helpers/web-build.js";

export const ADMIN_DIST = webDist("admin");

/** The dashboard's build, made here when missing or older than its sources (a fresh clone where `npm ci` did not run `prepare`, or an edit since). */
export function ensureAdminBuild(): Promise<void> {
  return ensureWebBuild("admin", ["web/admin"]);
}
