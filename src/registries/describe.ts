/**
 * What the plan shows about package indexes: every URL redacted (user info and token query
 * parameters masked), with where it came from and where its credentials come from — the
 * source's name, never the value.
 */
import { redactUrl } from "../net/redact.ts";
import type { RegistryCredentials, RegistrySettings } from "./types.ts";
import { sameIndex } from "./url.ts";

export interface RegistryEntryView {
  url: string;
  origin: string;
  /** "env ART_USER/ART_TOKEN", "netrc /home/u/.netrc", "keyring", "url"; absent = anonymous. */
  credentials?: string;
}

export interface RegistriesView {
  index: RegistryEntryView;
  extraIndexes: RegistryEntryView[];
  trustedHosts: Array<{ host: string; origin: string }>;
  findLinks: RegistryEntryView[];
  /** uv explicit indexes: used only for packages pinned to them; listed for their credentials. */
  explicitIndexes: Array<RegistryEntryView & { name: string }>;
  noIndex: boolean;
  /** uv's --index-strategy, when dhtl sets one (see RegistrySettings.indexStrategy). */
  indexStrategy?: { value: string; origin: string };
}

/** A redacted, JSON-ready view of the settings (for `--json` plans). */
export function registriesView(settings: RegistrySettings, creds?: RegistryCredentials): RegistriesView {
  const credSource = (url: string) => {
    const key = creds ? Object.keys(creds).find((k) => sameIndex(k, url)) : undefined;
    return key ? creds![key]!.source : undefined;
  };
  const entry = (url: string, origin: string | undefined): RegistryEntryView => {
    const c = credSource(url);
    return { url: redactUrl(url), origin: origin ?? "unknown", ...(c ? { credentials: c } : {}) };
  };
  return {
    index: entry(settings.indexUrl, settings.origins.indexUrl),
    extraIndexes: settings.extraIndexUrls.map((u, i) => entry(u, settings.origins[`extraIndexUrls.${i}`])),
    trustedHosts: settings.trustedHosts.map((h, i) => ({ host: h, origin: settings.origins[`trustedHosts.${i}`] ?? "unknown" })),
    findLinks: settings.findLinks.map((f, i) => entry(f, settings.origins[`findLinks.${i}`])),
    explicitIndexes: settings.explicitIndexes.map((e) => ({ name: e.name, ...entry(e.url, e.origin) })),
    noIndex: settings.noIndex,
    ...(settings.indexStrategy ? { indexStrategy: { value: settings.indexStrategy, origin: settings.origins.indexStrategy ?? "unknown" } } : {}),
  };
}

/** Human lines for the plan, e.g. "index        https://***@repo.corp/simple  (env PIP_INDEX_URL; credentials: netrc ~/.netrc)". */
export function describeRegistries(settings: RegistrySettings, creds?: RegistryCredentials): string[] {
  const v = registriesView(settings, creds);
  const tail = (e: RegistryEntryView) => `  (${e.origin}${e.credentials ? `; credentials: ${e.credentials}` : ""})`;
  const lines: string[] = [];
  if (v.noIndex) lines.push(`index         none: --no-index  (${settings.origins.noIndex ?? "unknown"})`);
  else lines.push(`index         ${v.index.url}${tail(v.index)}`);
  for (const e of v.extraIndexes) lines.push(`extra index   ${e.url}${tail(e)}`);
  for (const f of v.findLinks) lines.push(`find-links    ${f.url}${tail(f)}`);
  for (const h of v.trustedHosts) lines.push(`trusted host  ${h.host}  (${h.origin})`);
  for (const e of v.explicitIndexes) lines.push(`pinned-only   ${e.name}=${e.url}${tail(e)}`);
  if (v.indexStrategy) lines.push(`uv strategy   ${v.indexStrategy.value}  (${v.indexStrategy.origin})`);
  return lines;
}
