import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * AES-256-GCM for the secrets fuse must keep readable (the md5 challenge needs
 * the key and pass themselves). A database dump alone does not give them away;
 * whoever also has the key file (or the process) does.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The configured key, or `<data>/fuse.key`, made (mode 0600) on first use. */
  static open(configured: string, dataDir: string): SecretBox {
    if (configured) return new SecretBox(checked(Buffer.from(configured, "base64"), "fuse.secretKey"));
    const file = join(dataDir, "fuse.key");
    try {
      return new SecretBox(checked(Buffer.from(readFileSync(file, "utf8").trim(), "base64"), file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (err) {
      // Another process made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    return SecretBox.open("", dataDir);
  }

  /** `iv.tag.ciphertext`, base64url each. */
  seal(text: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64url")).join(".");
  }

  /** The text, or null when the box was sealed with another key or tampered with. */
  unseal(sealed: string): string | null {
    const [iv, tag, body] = sealed.split(".").map((p) => Buffer.from(p, "base64url"));
    if (!iv || !tag || !body || iv.length !== IV_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }
}

function checked(key: Buffer, from: string): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`${from} must hold ${KEY_BYTES} bytes in base64`);
  return key;
}
