/**
 * Network settings shared by every HTTP client in dhtl. They come from the `proxy:` section
 * of .dhtconfig (src/config); environment variables win over them (see proxy.ts, ca.ts).
 */
export type Env = Record<string, string | undefined>;

export interface NetSettings {
  proxy?: {
    http?: string;
    https?: string;
    no_proxy?: string[];
  };
  /** Path to an extra PEM bundle (config `proxy.ca_bundle`). */
  caBundle?: string;
  /** Base URL that replaces the python-build-standalone release prefix (config mirror, lowest precedence). */
  pythonMirror?: string;
}
