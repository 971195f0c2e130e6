/**
 * Secrets must never reach a log line, an error text, the database or Redis. pino's `redact`
 * only knows object paths, so strings are scrubbed here as well: known secret values, also
 * percent-encoded (a webhook URL may spell its secret `%61%62...`, and the router decodes it),
 * anything shaped like a TimeTap session token, the secret parameters of URLs (the
 * `/sessionToken` URL carries the apiKey and the signature), and the user and password of any URL.
 */
const REPLACEMENT = '[REDACTED]';
/** `st:api:api:<hex>` as documented, `st.api.api.<hex>` as seen in traffic. */
const SESSION_TOKEN = /st([:.])[a-z0-9]+\1[a-z0-9]+\1[0-9a-f]{16,}/gi;
const SECRET_PARAMS = /([?&](?:apiKey|signature|sessionToken|token|privateKey)=)[^&\s"'#]*/gi;
/** `scheme://user:password@host`: the user and password, whatever the scheme. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi;
const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** Remember a value (the key pair, the signature, each session token) as secret. */
  add(secret: string | undefined): void;
  scrub(text: string): string;
}

export function createRedactor(initial: Array<string | undefined> = []): Redactor {
  const secrets = new Set<string>();
  let pattern: RegExp | undefined;
  // Every spelling, percent-encoded ones included: ten times slower, so only for a text with a '%'.
  let encodedPattern: RegExp | undefined;
  const rebuild = () => {
    const sorted = [...secrets].sort((a, b) => b.length - a.length);
    pattern = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
    encodedPattern = sorted.length > 0 ? new RegExp(sorted.map(spellings).join('|'), 'g') : undefined;
  };
  const redactor: Redactor = {
    add(secret) {
      if (!secret || secret.length < MIN_SECRET_LENGTH || secrets.has(secret)) return;
      secrets.add(secret);
      rebuild();
    },
    scrub(text) {
      let out = text
        .replace(SECRET_PARAMS, `$1${REPLACEMENT}`)
        .replace(SESSION_TOKEN, REPLACEMENT)
        .replace(URL_USERINFO, `$1${REPLACEMENT}@`);
      if (pattern) out = out.replace(pattern, REPLACEMENT);
      if (encodedPattern && out.includes('%')) out = out.replace(encodedPattern, REPLACEMENT);
      return out;
    },
  };
  for (const secret of initial) redactor.add(secret);
  return redactor;
}

/** A URL fit for a log or an error: origin and path, never the query string nor a password. */
export function safeUrl(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return String(url).split('?')[0] ?? '';
  }
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern for `secret` with any of its characters written as itself or percent-encoded. */
function spellings(secret: string): string {
  return [...secret]
    .map((char) => {
      const encoded = [...Buffer.from(char, 'utf8')]
        .map((byte) => `%${[...byte.toString(16).padStart(2, '0')].map(eitherCase).join('')}`)
        .join('');
      return `(?:${escapeRegExp(char)}|${encoded})`;
    })
    .join('');
}

/** A hex digit in either case, as a character class when it is a letter. */
function eitherCase(digit: string): string {
  return /[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit;
}

/**
 * The password a URL carries (raw and decoded), for `Redactor.add`: a password in DATABASE_URL is
 * a secret wherever its text turns up, inside a URL or not. (A user name is scrubbed inside URLs
 * only: names like `postgres` are everywhere else too.)
 */
export function urlCredentials(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = new URL(url);
    return [password, decode(password)].filter((v) => v !== '');
  } catch {
    return [];
  }
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
