import { createRequire } from "node:module";

/** Whether a package resolves from here (Socket.IO is a dev dependency a run may lack). */
export function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

export const installedSocketIo = () => installed("socket.io");
