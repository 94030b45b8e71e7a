/**
 * Access tokens. A server bound to a non-loopback address needs one (anyone on the network could
 * otherwise read the slides); the browser sends it once as `?token=` (the server then sets an
 * HttpOnly, SameSite=Strict cookie so tile and API requests carry it), scripts as
 * `Authorization: Bearer <token>`. Tokens are compared in constant time (SHA-256 digests of equal
 * length through timingSafeEqual), so response times say nothing about how much of a guess matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_ENV = 'FOCUSLITE_TOKEN';
export const TOKEN_COOKIE = 'focuslite_token';
/** Shorter tokens are refused at start-up: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether a host name or address is this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The token a request carries: bearer header, then cookie, then `token` query parameter. */
export function requestToken(headers: Record<string, string | string[] | undefined>, query: unknown): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const cookie = headers.cookie;
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  const q = query as { token?: unknown } | undefined;
  return typeof q?.token === 'string' ? q.token : null;
}

/** The token to require, or null for none; throws (one line) when a public bind has none. */
export function resolveToken(host: string, given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const token = given ?? env[TOKEN_ENV] ?? null;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) throw new Error(`access token too short: give at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 16\`)`);
  if (token === null && !isLoopback(host)) {
    throw new Error(`--host ${host} makes the server reachable from the network: give an access token with --token or ${TOKEN_ENV}`);
  }
  return token;
}
