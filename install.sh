#!/bin/sh
# Install dhtl, a Python development environment on any machine.
#
#   curl -fsSL <release-base>/latest/install.sh | sh
#   wget -qO- <release-base>/latest/install.sh | sh
#   sh install.sh --archive ./dhtl-linux-x64.tar.gz      # air-gapped: no network at all
#
# Run `sh install.sh --help` for options and environment variables (docs/install.md).
#
# This is a template: `bun run release` writes the release's version, base URL and the
# sha256 of every archive into the three DHTL_BAKED_* lines below. Everything is inside
# functions and `main` is called on the last line, so a download cut short runs nothing.
# POSIX sh only (checked with shellcheck -s sh; tested under dash, bash, busybox ash,
# mksh, yash, posh and zsh). No `local`: every function uses its own variable prefix.

DHTL_BAKED_VERSION='__DHTL_VERSION__'
DHTL_BAKED_BASE='__DHTL_RELEASE_BASE__'
DHTL_BAKED_SUMS='__DHTL_SHA256SUMS__'

usage() {
  cat <<'EOF'
Install dhtl.

Usage: install.sh [--archive FILE] [--no-modify-path] [--quiet] [-y] [--help]

  --archive FILE     install from a local dhtl-<target>.tar.gz, with no network access;
                     verified against a SHA256SUMS file beside it, else against the
                     checksums written into this installer
  --no-modify-path   do not add the install directory to PATH (same as DHTL_NO_MODIFY_PATH=1)
  -q, --quiet        only print errors
  -y, --yes          accepted for compatibility; this installer never asks questions
  -h, --help         show this help

Environment:
  DHTL_INSTALL_DIR            where to put dhtl (default: $XDG_BIN_HOME, else ~/.local/bin)
  DHTL_VERSION                install this version instead of the one this script was made for
                              (its SHA256SUMS is then downloaded from that version's directory)
  DHTL_DOWNLOAD_URL           release base URL of a mirror or artifact store
                              (files are read from <url>/v<version>/)
  DHTL_NO_MODIFY_PATH=1       leave shell startup files alone
  DHTL_TARGET                 override the detected target (e.g. linux-x64-musl)
  DHTL_INSECURE_SKIP_VERIFY=1 install even when no sha256 tool is available (not recommended)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY are honoured by curl and wget.
EOF
}

say() {
  if [ "${DHTL_QUIET:-0}" != 1 ]; then printf '%s\n' "dhtl-install: $*" >&2; fi
}

warn() {
  printf '%s\n' "dhtl-install: warning: $*" >&2
}

die() {
  printf '%s\n' "dhtl-install: error: $*" >&2
  exit 1
}

have() {
  command -v "$1" >/dev/null 2>&1
}

# ---------- what to install ----------

detect_target() {
  if [ -n "${DHTL_TARGET:-}" ]; then
    printf '%s\n' "$DHTL_TARGET"
    return 0
  fi
  dt_os=$(uname -s 2>/dev/null || echo unknown)
  dt_arch=$(uname -m 2>/dev/null || echo unknown)
  case "$dt_os" in
    Linux) dt_os=linux ;;
    Darwin) dt_os=darwin ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      die "this is Windows: run install.ps1 in PowerShell instead (irm <release-base>/latest/install.ps1 | iex)" ;;
    *) die "unsupported operating system: $dt_os (dhtl ships for Linux, macOS and Windows)" ;;
  esac
  case "$dt_arch" in
    x86_64 | amd64) dt_arch=x64 ;;
    aarch64 | arm64 | armv8*) dt_arch=arm64 ;;
    *) die "unsupported CPU architecture: $dt_arch (dhtl ships for x86_64 and arm64)" ;;
  esac
  if [ "$dt_os" = darwin ] && [ "$dt_arch" = x64 ]; then
    # A shell running under Rosetta 2 reports x86_64 on Apple silicon: use the native build.
    if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then dt_arch=arm64; fi
  fi
  dt_suffix=
  if [ "$dt_os" = linux ] && is_musl; then dt_suffix=-musl; fi
  printf '%s\n' "$dt_os-$dt_arch$dt_suffix"
}

# musl is not only Alpine (Void, Chimera, distroless images): ask ldd, then look for the
# loaders themselves.
is_musl() {
  if have ldd; then
    case "$(ldd --version 2>&1 || true)" in
      *musl*) return 0 ;;
      *GLIBC* | *"GNU libc"* | *glibc*) return 1 ;;
    esac
  fi
  for im_loader in /lib/ld-musl-*.so.1 /usr/lib/ld-musl-*.so.1; do
    if [ -e "$im_loader" ]; then
      for im_glibc in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 /lib/ld-linux-x86-64.so.2; do
        if [ -e "$im_glibc" ]; then return 1; fi
      done
      return 0
    fi
  done
  return 1
}

# ---------- downloads and checksums ----------

download() {
  dl_url=$1
  dl_out=$2
  if have curl; then
    case "$dl_url" in
      https://*) curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$dl_out" "$dl_url" ;;
      *) curl -fsSL --retry 3 -o "$dl_out" "$dl_url" ;;
    esac
  elif have wget; then
    wget -q -O "$dl_out" "$dl_url"
  else
    die "neither curl nor wget is installed; install one, or download the archive yourself and run: sh install.sh --archive FILE"
  fi
}

sha256_of() {
  if have sha256sum; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif have shasum; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif have openssl; then
    openssl dgst -sha256 "$1" | sed 's/^.*= *//'
  else
    return 1
  fi
}

# The checksum listed for a file name in sha256sum-format text ("" when absent).
sum_for() {
  printf '%s\n' "$1" | while read -r sf_sum sf_name; do
    sf_name=${sf_name#\*}
    if [ "$sf_name" = "$2" ]; then
      printf '%s\n' "$sf_sum"
      break
    fi
  done
}

verify() {
  vf_file=$1
  vf_expected=$2
  vf_what=$3
  if [ -z "$vf_expected" ]; then
    die "no checksum for $vf_what; refusing to install an unverified file"
  fi
  if ! vf_actual=$(sha256_of "$vf_file"); then
    if [ "${DHTL_INSECURE_SKIP_VERIFY:-0}" = 1 ]; then
      warn "no sha256sum, shasum or openssl found: installing $vf_what WITHOUT verifying it (DHTL_INSECURE_SKIP_VERIFY=1)"
      return 0
    fi
    die "cannot verify $vf_what: none of sha256sum, shasum or openssl is installed (set DHTL_INSECURE_SKIP_VERIFY=1 to install anyway, at your own risk)"
  fi
  vf_actual=$(printf '%s' "$vf_actual" | tr 'A-F' 'a-f')
  vf_expected=$(printf '%s' "$vf_expected" | tr 'A-F' 'a-f')
  if [ "$vf_actual" != "$vf_expected" ]; then
    die "checksum mismatch for $vf_what: expected $vf_expected, got $vf_actual; nothing was installed (a corrupted or tampered download?)"
  fi
  say "verified sha256 of $vf_what"
}

baked_is_real() {
  case "$DHTL_BAKED_VERSION" in
    "" | *[!0-9A-Za-z.+-]*) return 1 ;;
  esac
  return 0
}

# ---------- installing ----------

install_binary() {
  ib_src=$1
  ib_dir=$2
  mkdir -p "$ib_dir" || die "cannot create the install directory $ib_dir"
  # Stage inside the install directory (never run anything from $TMPDIR: it may be
  # noexec), prove the binary starts, then rename over the old one: atomic on one file system.
  ib_stage="$ib_dir/.dhtl.install.$$"
  cp "$ib_src" "$ib_stage" || die "cannot write to $ib_dir (set DHTL_INSTALL_DIR to a directory you own)"
  chmod 755 "$ib_stage"
  if ! ib_version=$("$ib_stage" --version 2>&1); then
    rm -f "$ib_stage"
    case "$ib_version" in
      *libstdc*) die "the new dhtl does not start: musl systems need libstdc++ (Alpine: apk add libstdc++)" ;;
    esac
    die "the new dhtl does not start ($ib_version); nothing was installed"
  fi
  mv -f "$ib_stage" "$ib_dir/dhtl" || {
    rm -f "$ib_stage"
    die "cannot move dhtl into $ib_dir"
  }
  printf '%s\n' "$ib_version"
}

config_dir() {
  printf '%s\n' "${XDG_CONFIG_HOME:-$HOME/.config}/dhtl"
}

# Add a line to a file unless it is there already (idempotent re-installs).
add_line() {
  al_file=$1
  al_line=$2
  if [ -f "$al_file" ] && grep -qxF "$al_line" "$al_file" 2>/dev/null; then return 0; fi
  mkdir -p "$(dirname "$al_file")"
  # start on a fresh line even if the file does not end with a newline
  if [ -s "$al_file" ] && [ -n "$(tail -c 1 "$al_file")" ]; then
    printf '\n' >>"$al_file"
  fi
  printf '%s\n' "$al_line" >>"$al_file"
  say "added dhtl to PATH in $al_file"
}

setup_path() {
  sp_dir=$1
  sp_conf=$(config_dir)
  mkdir -p "$sp_conf"
  # One env file per shell family; rc files only source it, so removing it (dhtl self
  # uninstall) undoes everything, and re-running the installer changes nothing.
  cat >"$sp_conf/env" <<EOF
# dhtl: put its install directory on PATH (written by install.sh; removed by dhtl self uninstall)
case ":\${PATH}:" in
  *:"$sp_dir":*) ;;
  *) export PATH="$sp_dir:\$PATH" ;;
esac
EOF
  cat >"$sp_conf/env.fish" <<EOF
# dhtl: put its install directory on PATH (written by install.sh; removed by dhtl self uninstall)
if not contains -- "$sp_dir" \$PATH
    set -gx PATH "$sp_dir" \$PATH
end
EOF
  sp_line="[ -f \"$sp_conf/env\" ] && . \"$sp_conf/env\" # added by dhtl install.sh"
  add_line "$HOME/.profile" "$sp_line"
  for sp_rc in "$HOME/.bashrc" "$HOME/.bash_profile" "$HOME/.bash_login"; do
    if [ -f "$sp_rc" ]; then add_line "$sp_rc" "$sp_line"; fi
  done
  case "${SHELL:-}" in
    */bash) add_line "$HOME/.bashrc" "$sp_line" ;;
  esac
  sp_zdot=${ZDOTDIR:-$HOME}
  if [ -f "$sp_zdot/.zshrc" ]; then
    add_line "$sp_zdot/.zshrc" "$sp_line"
  else
    case "${SHELL:-}" in
      */zsh) add_line "$sp_zdot/.zshrc" "$sp_line" ;;
    esac
  fi
  sp_fish="${XDG_CONFIG_HOME:-$HOME/.config}/fish"
  if [ -d "$sp_fish" ] || have fish; then
    mkdir -p "$sp_fish/conf.d"
    printf '%s\n' "# added by dhtl install.sh" "source \"$sp_conf/env.fish\"" >"$sp_fish/conf.d/dhtl.fish"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then printf '%s\n' "$sp_dir" >>"$GITHUB_PATH"; fi
}

cleanup() {
  if [ -n "${DHTL_TMP:-}" ] && [ -d "$DHTL_TMP" ]; then rm -rf "$DHTL_TMP"; fi
}

main() {
  set -u
  mn_archive=
  mn_modify_path=1
  if [ "${DHTL_NO_MODIFY_PATH:-0}" = 1 ]; then mn_modify_path=0; fi
  while [ $# -gt 0 ]; do
    case "$1" in
      -h | --help)
        usage
        return 0
        ;;
      --archive)
        [ $# -ge 2 ] || die "--archive needs a file name"
        mn_archive=$2
        shift
        ;;
      --archive=*) mn_archive=${1#--archive=} ;;
      --no-modify-path) mn_modify_path=0 ;;
      -q | --quiet) DHTL_QUIET=1 ;;
      -y | --yes) ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
    shift
  done

  if [ -z "${HOME:-}" ]; then die "HOME is not set"; fi
  mn_target=$(detect_target) || exit 1
  mn_name="dhtl-$mn_target.tar.gz"
  mn_dir=${DHTL_INSTALL_DIR:-${XDG_BIN_HOME:-$HOME/.local/bin}}
  mn_base=${DHTL_DOWNLOAD_URL:-$DHTL_BAKED_BASE}
  mn_base=${mn_base%/}
  mn_version=${DHTL_VERSION:-}
  mn_version=${mn_version#v}
  if ! baked_is_real && [ -z "$mn_version" ] && [ -z "$mn_archive" ]; then
    die "this is the unreleased install.sh template: set DHTL_VERSION (and DHTL_DOWNLOAD_URL), or use a release's install.sh"
  fi
  if [ -z "$mn_version" ] && baked_is_real; then mn_version=$DHTL_BAKED_VERSION; fi
  case "$mn_base" in
    http://* | https://* | file://*) ;;
    *) if [ -z "$mn_archive" ]; then die "no release base URL: set DHTL_DOWNLOAD_URL (got \"$mn_base\")"; fi ;;
  esac

  DHTL_TMP=$(mktemp -d 2>/dev/null || mktemp -d -t dhtl) || die "cannot create a temporary directory"
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT TERM

  if [ -n "$mn_archive" ]; then
    [ -f "$mn_archive" ] || die "--archive $mn_archive: no such file"
    mn_label=$(basename "$mn_archive")
    if [ "$mn_label" != "$mn_name" ]; then warn "$mn_label is not named $mn_name, the build for this machine"; fi
    cp "$mn_archive" "$DHTL_TMP/archive.tar.gz" || die "cannot read $mn_archive"
    mn_sums_file="$(dirname "$mn_archive")/SHA256SUMS"
    if [ -f "$mn_sums_file" ]; then
      mn_expected=$(sum_for "$(cat "$mn_sums_file")" "$mn_label")
      [ -n "$mn_expected" ] || die "$mn_sums_file does not list $mn_label"
      say "checking $mn_label against $mn_sums_file"
    elif baked_is_real; then
      mn_expected=$(sum_for "$DHTL_BAKED_SUMS" "$mn_label")
      [ -n "$mn_expected" ] || die "$mn_label is not part of dhtl $DHTL_BAKED_VERSION; put that release's SHA256SUMS beside it"
      say "checking $mn_label against the checksums of dhtl $DHTL_BAKED_VERSION"
    else
      die "cannot verify $mn_archive: put the release's SHA256SUMS file beside it"
    fi
  else
    if [ "$mn_version" = "$DHTL_BAKED_VERSION" ]; then
      mn_sums=$DHTL_BAKED_SUMS
    else
      download "$mn_base/v$mn_version/SHA256SUMS" "$DHTL_TMP/SHA256SUMS" ||
        die "cannot download $mn_base/v$mn_version/SHA256SUMS (is $mn_version a released version? is the network or proxy set up?)"
      mn_sums=$(cat "$DHTL_TMP/SHA256SUMS")
    fi
    mn_label=$mn_name
    mn_expected=$(sum_for "$mn_sums" "$mn_name")
    [ -n "$mn_expected" ] || die "dhtl $mn_version has no build for $mn_target ($mn_name is not in its SHA256SUMS)"
    say "downloading dhtl $mn_version for $mn_target from $mn_base/v$mn_version/$mn_name"
    download "$mn_base/v$mn_version/$mn_name" "$DHTL_TMP/archive.tar.gz" ||
      die "download of $mn_base/v$mn_version/$mn_name failed"
  fi

  verify "$DHTL_TMP/archive.tar.gz" "$mn_expected" "$mn_label"
  mkdir "$DHTL_TMP/x"
  (cd "$DHTL_TMP/x" && tar -xzf ../archive.tar.gz) || die "cannot unpack $mn_label"
  [ -f "$DHTL_TMP/x/dhtl" ] || die "$mn_label holds no dhtl executable"
  mn_previous=
  if [ -x "$mn_dir/dhtl" ]; then mn_previous=$("$mn_dir/dhtl" --version 2>/dev/null || true); fi
  mn_installed=$(install_binary "$DHTL_TMP/x/dhtl" "$mn_dir") || exit 1
  if [ -n "$mn_previous" ]; then
    say "replaced $mn_previous with $mn_installed in $mn_dir"
  else
    say "installed $mn_installed to $mn_dir/dhtl"
  fi
  mn_found=$(command -v dhtl 2>/dev/null || true)
  if [ -n "$mn_found" ] && [ "$mn_found" != "$mn_dir/dhtl" ]; then
    warn "another dhtl comes first on your PATH: $mn_found (remove it, or put $mn_dir before it)"
  fi

  if [ "$mn_modify_path" = 1 ]; then
    setup_path "$mn_dir"
    case ":$PATH:" in
      *:"$mn_dir":*) ;;
      *) say "open a new shell, or run: . \"$(config_dir)/env\"  to use dhtl now" ;;
    esac
  else
    case ":$PATH:" in
      *:"$mn_dir":*) ;;
      *) say "$mn_dir is not on PATH; add it yourself (DHTL_NO_MODIFY_PATH is set)" ;;
    esac
  fi
  # Confirm with the installed file, as the user will run it.
  "$mn_dir/dhtl" --version >/dev/null 2>&1 || die "$mn_dir/dhtl was installed but does not run"
  say "done: run \`dhtl --help\` to start; \`dhtl self uninstall\` removes it again"
}

main ${1+"$@"}
