import { createHash, randomInt } from "node:crypto";
import type { Identity } from "./types.js";

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomId(length = 10): string {
  let id = "";
  for (let i = 0; i < length; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** The same name always gets the same colour, on every node and after restarts. */
export function colorFor(name: string): string {
  const digest = createHash("sha256").update(name.toLowerCase()).digest();
  const hue = ((digest[0] << 8) | digest[1]) % 360;
  return hslToHex(hue, 0.65, 0.5);
}

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, "0").toUpperCase();
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

export function guestIdentity(): Identity {
  const name = `Guest-${randomInt(1000, 10000)}`;
  return { id: randomId(), name, color: colorFor(name), verified: false, guest: true };
}
