import { isIP } from 'node:net';

export interface DestinationRules {
  allowHttpLoopback: boolean;
  allowPrivateNetworks: boolean;
}

/** Why a webhook URL is refused, or null when it may be registered. */
export function destinationProblem(raw: string, rules: DestinationRules): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not carry a fragment';
  const host = hostOf(url);
  if (url.protocol === 'http:') {
    if (!rules.allowHttpLoopback)
      return 'must be https (http only to loopback, with CUSTODIAN_WEBHOOKS_ALLOW_HTTP_LOOPBACK=true)';
    if (!isLoopbackHost(host))
      return 'may be http only on loopback (127.0.0.1, ::1 or localhost); use https';
    return null;
  }
  if (url.protocol !== 'https:') return 'must be https';
  if (isIP(host) && isPrivateAddress(host) && !rules.allowPrivateNetworks)
    return 'must not be a private, loopback or link-local address (CUSTODIAN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS)';
  if ((host === 'localhost' || host.endsWith('.localhost')) && !rules.allowPrivateNetworks)
    return 'must not be a private, loopback or link-local address (CUSTODIAN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS)';
  return null;
}

/**
 * Whether a resolved address may be connected to: loopback only for the http loopback
 * allowance, private ranges only when allowed.
 */
export function addressAllowed(
  address: string,
  protocol: string,
  rules: DestinationRules,
): boolean {
  if (protocol === 'http:') return rules.allowHttpLoopback && isLoopbackAddress(address);
  return rules.allowPrivateNetworks || !isPrivateAddress(address);
}

export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

export function isLoopbackAddress(address: string): boolean {
  const v4 = mappedV4(address);
  if (v4) return v4.startsWith('127.');
  return address === '::1';
}

/** Loopback, private (RFC 1918, unique local), link-local, CGNAT, unspecified, multicast… */
export function isPrivateAddress(address: string): boolean {
  const v4 = mappedV4(address);
  if (v4) {
    const [a, b] = v4.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (isIP(address) !== 6) return true;
  const lower = address.toLowerCase();
  return (
    lower === '::' ||
    lower === '::1' ||
    /^f[cd]/.test(lower) ||
    /^fe[89ab]/.test(lower) ||
    /^ff/.test(lower)
  );
}

function mappedV4(address: string): string | null {
  if (isIP(address) === 4) return address;
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1] : null;
}
