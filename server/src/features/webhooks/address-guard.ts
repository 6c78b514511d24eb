/**
 * SSRF protection for webhooks: which URLs may be registered, and which addresses a delivery
 * may connect to. Without WEBHOOK_ALLOW_PRIVATE, a webhook never reaches this machine, the
 * private network, link-local addresses (cloud metadata: 169.254.169.254), unique-local IPv6,
 * multicast or reserved ranges. The check is made at registration (literal addresses, and the
 * addresses a host name resolves to) and again at each delivery, whose connection goes to the
 * address that was checked (the host name is not resolved a second time: DNS rebinding).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { WEBHOOK_URL_MAX_LENGTH } from '@tag-manager/contract';

/** Ranges no webhook may reach (IANA special-purpose registries, plus NAT64/6to4/Teredo). */
const BLOCKED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address (cloud metadata lives there)'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a 6to4 relay address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const BLOCKED_V6: [string, number, string][] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['::ffff:0:0', 96, 'an IPv4-mapped address'],
  ['::', 96, 'an IPv4-compatible address'],
  ['64:ff9b::', 96, 'a NAT64 address'],
  ['64:ff9b:1::', 48, 'a NAT64 address'],
  ['100::', 64, 'a discard address'],
  ['2001::', 32, 'a Teredo address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['2002::', 16, 'a 6to4 address'],
  ['fc00::', 7, 'a unique-local address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const ranges = [
  ...BLOCKED_V4.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, 'ipv4');
    return { list, type: 'ipv4' as const, reason };
  }),
  ...BLOCKED_V6.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, 'ipv6');
    return { list, type: 'ipv6' as const, reason };
  }),
];

/** Why an address may not be reached (a phrase), or undefined when it is a public address. */
export function privateAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 0) return 'not an IP address';
  const type = version === 4 ? 'ipv4' : 'ipv6';
  return ranges.find((range) => range.type === type && range.list.check(bare, type))?.reason;
}

/**
 * A URL that failed the checks: the field error the API answers (422). `refused`: it points at
 * an address a webhook may not reach (a delivery records it as `refused`).
 */
export class WebhookUrlError extends Error {
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

export interface CheckedUrl {
  url: URL;
  /** The URL as stored (WHATWG-normalised: `http://0x7f.1/` becomes `http://127.0.0.1/`). */
  href: string;
  /** The host without IPv6 brackets. */
  hostname: string;
}

/** The URL's form: scheme, credentials, fragment, length. (Addresses are checked apart.) */
export function parseWebhookUrl(raw: string, allowPrivate: boolean): CheckedUrl {
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) {
    throw new WebhookUrlError(`must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new WebhookUrlError(
      'is not an absolute URL (e.g. https://hooks.example.com/tag-manager)',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebhookUrlError(`must be https (got the scheme "${url.protocol.slice(0, -1)}")`);
  }
  if (url.protocol === 'http:' && !allowPrivate) {
    throw new WebhookUrlError(
      'must be https: deliveries carry catalog data (http only with WEBHOOK_ALLOW_PRIVATE=true)',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new WebhookUrlError(
      'must not carry credentials (user:password@): verify deliveries by their signature',
    );
  }
  if (url.hash !== '') throw new WebhookUrlError('must not have a fragment (#…)');
  if (url.href.length > WEBHOOK_URL_MAX_LENGTH) {
    throw new WebhookUrlError(`must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  }
  return { url, href: url.href, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1') };
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The addresses to connect to for `hostname`, every one of them checked: a literal address is
 * itself; a name is resolved (all its A and AAAA records) and refused when any address is
 * private, since the connection could be made to any of them. With `allowPrivate` every
 * address passes.
 */
export async function resolveDeliveryAddresses(
  hostname: string,
  allowPrivate: boolean,
): Promise<ResolvedAddress[]> {
  const literal = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal as 4 | 6 }];
  } else {
    try {
      const found = await lookup(hostname, { all: true, verbatim: true });
      addresses = found.map((entry) => ({ address: entry.address, family: entry.family as 4 | 6 }));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'lookup failed';
      throw new WebhookUrlError(`its host "${hostname}" could not be resolved (${code})`);
    }
    if (addresses.length === 0) {
      throw new WebhookUrlError(`its host "${hostname}" has no address`);
    }
  }
  if (allowPrivate) return addresses;
  for (const { address } of addresses) {
    const reason = privateAddressReason(address);
    if (reason) {
      throw new WebhookUrlError(
        literal !== 0
          ? `must not point at ${reason} (${address}); WEBHOOK_ALLOW_PRIVATE=true allows it`
          : `its host "${hostname}" resolves to ${reason} (${address}); WEBHOOK_ALLOW_PRIVATE=true allows it`,
        true,
      );
    }
  }
  return addresses;
}
