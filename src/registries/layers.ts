/**
 * Every place that can name a package index is read into the same shape, an IndexLayer;
 * discover.ts then merges the layers in precedence order. Keeping the readers separate
 * from the merge keeps each reader testable with a fixture and the precedence in one place.
 */
import type { NamedIndex } from "./types.ts";
import type { PipIndexOptions } from "./pip-conf.ts";

export interface Sourced<T> {
  value: T;
  origin: string;
}

export interface IndexLayer {
  /** Human name of the source, e.g. "env UV_*", "/etc/pip.conf". */
  label: string;
  indexUrl?: Sourced<string>;
  extraIndexUrls: Sourced<string>[];
  trustedHosts: Sourced<string>[];
  findLinks: Sourced<string>[];
  noIndex?: Sourced<boolean>;
  named: NamedIndex[];
  /**
   * uv configuration (UV_* variables, uv.toml, [tool.uv]): its extra indexes follow uv's
   * rule (a package comes from the first index that has it). Every other source is pip's
   * vocabulary, where all indexes are searched alike.
   */
  uv?: boolean;
}

export function emptyLayer(label: string, uv = false): IndexLayer {
  return { label, extraIndexUrls: [], trustedHosts: [], findLinks: [], named: [], ...(uv ? { uv } : {}) };
}

export function layerFromPip(label: string, o: PipIndexOptions): IndexLayer {
  const layer = emptyLayer(label);
  if (o.indexUrl) layer.indexUrl = o.indexUrl;
  const each = (s: Sourced<string[]> | undefined) => (s ? s.value.map((value) => ({ value, origin: s.origin })) : []);
  layer.extraIndexUrls = each(o.extraIndexUrls);
  layer.trustedHosts = each(o.trustedHosts);
  layer.findLinks = each(o.findLinks);
  if (o.noIndex) layer.noIndex = o.noIndex;
  return layer;
}

/** 1-based line of the first line containing `needle` (for origins of TOML keys; Bun.TOML keeps no positions). */
export function lineOf(text: string, needle: string | RegExp): number | undefined {
  const lines = text.split(/\r?\n/);
  const idx = lines.findIndex((l) => (typeof needle === "string" ? l.includes(needle) : needle.test(l)));
  return idx < 0 ? undefined : idx + 1;
}
