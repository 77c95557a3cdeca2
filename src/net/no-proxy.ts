/**
 * NO_PROXY matching, as a pure function. There is no standard; this follows the common
 * ground of curl, Go and Python requests, and is documented in docs/network.md:
 *
 *   `*`                 every host bypasses the proxy
 *   `example.com`       example.com and every subdomain (a.example.com)
 *   `.example.com`      the same (a leading dot is accepted, as curl does)
 *   `*.example.com`     the same (the glob form corporate scripts often write)
 *   `10.0.0.0/8`, `fd00::/8`   IP literals inside the range (no DNS lookups)
 *   `10.1.2.3`, `::1`, `[::1]` that address exactly
 *   `host:port`         only that port (the other forms match every port)
 *
 * Matching is case-insensitive and ignores a trailing dot. Loopback is NOT exempt unless
 * listed: a corporate proxy can be the only route even to "localhost" names, and being
 * explicit keeps behaviour identical across machines.
 */

export type NoProxyRule =
  | { kind: "all"; raw: string }
  | { kind: "domain"; domain: string; port?: number; raw: string }
  | { kind: "ip"; bytes: number[]; port?: number; raw: string }
  | { kind: "cidr"; bytes: number[]; prefix: number; raw: string };

/** Split a NO_PROXY value (commas and/or whitespace) into rules; unparsable entries are dropped. */
export function parseNoProxy(value: string | string[] | undefined): NoProxyRule[] {
  if (value === undefined) return [];
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/[\s,]+/));
  const rules: NoProxyRule[] = [];
  for (const item of items) {
    const rule = parseRule(item.trim());
    if (rule) rules.push(rule);
  }
  return rules;
}

function parseRule(raw: string): NoProxyRule | undefined {
  if (!raw) return undefined;
  if (raw === "*") return { kind: "all", raw };
  // People write URLs here too ("http://git.corp/"): keep only the host part.
  let entry = raw.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/\/$/, "");
  const slash = entry.indexOf("/");
  if (slash !== -1) {
    const bytes = parseIp(stripBrackets(entry.slice(0, slash)));
    const prefix = Number(entry.slice(slash + 1));
    if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return undefined;
    return { kind: "cidr", bytes, prefix, raw };
  }
  let port: number | undefined;
  // host:port, [v6]:port. A bare IPv6 address has several colons and no port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    entry = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    const [host, p] = entry.split(":") as [string, string];
    if (!/^\d+$/.test(p)) return undefined;
    entry = host;
    port = Number(p);
  }
  const ip = parseIp(entry);
  if (ip) return { kind: "ip", bytes: ip, port, raw };
  const domain = entry.replace(/^\*?\.+/, "").replace(/\.$/, "");
  if (!domain || domain.includes("*")) return undefined;
  return { kind: "domain", domain, port, raw };
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** Parse an IPv4 or IPv6 literal into bytes (4 or 16); undefined for host names. */
export function parseIp(text: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((n) => n <= 255) ? parts : undefined;
  }
  if (!text.includes(":") || !/^[0-9a-f:.]+$/i.test(text)) return undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  let hex = text;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIp(tail);
    if (!v4 || v4.length !== 4) return undefined;
    hex = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = hex.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...right];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

function inCidr(ip: number[], net: number[], prefix: number): boolean {
  if (ip.length !== net.length) return false;
  let bits = prefix;
  for (let i = 0; i < ip.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}

function defaultPort(protocol: string): number {
  return protocol === "https:" ? 443 : protocol === "http:" ? 80 : 0;
}

/** The first rule that makes `url` bypass the proxy, or undefined when it must be proxied. */
export function noProxyMatch(url: URL | string, rules: NoProxyRule[]): NoProxyRule | undefined {
  const u = typeof url === "string" ? new URL(url) : url;
  const host = stripBrackets(u.hostname.toLowerCase()).replace(/\.$/, "");
  const port = u.port ? Number(u.port) : defaultPort(u.protocol);
  const ip = parseIp(host);
  for (const rule of rules) {
    switch (rule.kind) {
      case "all":
        return rule;
      case "cidr":
        if (ip && inCidr(ip, rule.bytes, rule.prefix)) return rule;
        break;
      case "ip":
        if (ip && ip.length === rule.bytes.length && ip.every((b, i) => b === rule.bytes[i]) && portOk(rule.port, port))
          return rule;
        break;
      case "domain":
        if ((host === rule.domain || host.endsWith(`.${rule.domain}`)) && portOk(rule.port, port)) return rule;
        break;
    }
  }
  return undefined;
}

function portOk(rulePort: number | undefined, port: number): boolean {
  return rulePort === undefined || rulePort === port;
}
