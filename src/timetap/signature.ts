/**
 * The login signature. TimeTap's docs and every public client compute it as the lowercase hex MD5
 * of `apiKey + privateKey`; one older doc revision listed more inputs, so the recipe lives here
 * and nowhere else. The result never changes over time: it is as secret as the private key.
 */
import { createHash } from 'node:crypto';

export function computeSignature(apiKey: string, privateKey: string): string {
  return createHash('md5').update(`${apiKey}${privateKey}`, 'utf8').digest('hex');
}
