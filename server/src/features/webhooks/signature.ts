/**
 * Delivery signatures (Stripe's scheme): HMAC-SHA256, keyed with the webhook's secret, over
 * `<unix seconds>.<raw body>`, sent as `Tag-Manager-Signature: t=<unix seconds>,v1=<hex>`. The
 * timestamp inside the signed text lets a receiver refuse replays older than a few minutes.
 * docs/webhooks.md shows a receiver's check; `verifySignature` is the same check (the tests
 * verify deliveries with it as a receiver would).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'tag-manager-signature';
export const EVENT_ID_HEADER = 'tag-manager-event-id';
export const EVENT_KIND_HEADER = 'tag-manager-event-kind';
export const ATTEMPT_HEADER = 'tag-manager-delivery-attempt';

/** `whsec_` and 32 random bytes in base64url: 256 bits. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Characters of the secret shown in lists (the `whsec_` prefix and 6 more). */
export const SECRET_PREFIX_LENGTH = 12;

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

/**
 * Whether `header` signs `body` with `secret`, made at most `toleranceSeconds` before `now`
 * (seconds). Any `v1` entry may match (several are sent while a secret is being rotated).
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceSeconds = 300,
  now = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value))
    .some(([, value]) => timingSafeEqual(Buffer.from(value!, 'hex'), expected));
}
