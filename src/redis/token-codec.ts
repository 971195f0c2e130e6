/**
 * How the session token is written to Redis. With a secret (the TimeTap private key, which every
 * worker has anyway), the token is encrypted (AES-256-GCM), so that a Redis dump, `MONITOR` or a
 * shared Redis never shows a usable token; without one it is stored as is.
 *
 * Stored form: `<fingerprint>.<payload>`. The fingerprint (a keyed hash of the token) lets a Lua
 * script check "is the stored token still this one?" without the token or the ciphertext, whose
 * random IV differs on every write.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface TokenCodec {
  encode(token: string): string;
  /** undefined for a value this codec cannot read (other secret, garbage): treated as no token. */
  decode(stored: string): string | undefined;
  /** The prefix (with its trailing dot) that every encoding of `token` starts with. */
  prefix(token: string): string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = 'timetap-sync session token';

export function createTokenCodec(options: { secret?: string; context: string }): TokenCodec {
  const secret = options.secret ?? '';
  const derive = (info: string) =>
    Buffer.from(hkdfSync('sha256', secret, SALT, `${info}:${options.context}`, 32));
  const macKey = derive('fingerprint');
  const encryptionKey = options.secret ? derive('encryption') : undefined;
  // The Redis key name as associated data: a ciphertext copied under another key does not decrypt.
  const aad = Buffer.from(options.context);

  const prefix = (token: string) =>
    `${createHmac('sha256', macKey).update(token).digest('base64url').slice(0, 22)}.`;

  return {
    prefix,
    encode(token) {
      if (!encryptionKey) return `${prefix(token)}${token}`;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv).setAAD(aad);
      const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return `${prefix(token)}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    decode(stored) {
      const dot = stored.indexOf('.');
      if (dot < 0) return undefined;
      const payload = stored.slice(dot + 1);
      const token = encryptionKey ? decrypt(encryptionKey, aad, payload) : payload;
      // The fingerprint must match too: it catches a value written with another secret.
      return token !== undefined && stored.startsWith(prefix(token)) ? token : undefined;
    },
  };
}

function decrypt(key: Buffer, aad: Buffer, payload: string): string | undefined {
  try {
    const raw = Buffer.from(payload, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES)).setAAD(aad);
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
