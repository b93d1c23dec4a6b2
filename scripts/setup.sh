#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for this project and synthesizes every
# stack: the Debian packages the tests use, the npm packages from the lock
# file, then `cdktf synth`. Safe to run again.
set -euo pipefail

cd "$(dirname "$0")/.."

# Tools the tests run for real: shell linting, how cloud-init reads the user-data,
# Prometheus rule checks and unit tests, Alertmanager config checks,
# certificates for the local test servers, jq (the node-cleanup script's JSON
# tool, run in its tests), GNU time for `npm run bench`, and systemd for
# `systemd-analyze verify` of the units the user-data writes.
DEBIAN_PACKAGES=(shellcheck cloud-init prometheus prometheus-alertmanager openssl jq time systemd)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "Installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Terraform judges every synthesized stack in the tests (and runs every deploy).
# Debian does not package it: add HashiCorp's apt repository when it can be
# reached, otherwise stop with what to do.
if ! command -v terraform >/dev/null 2>&1; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  keyring=/usr/share/keyrings/hashicorp-archive-keyring.gpg
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  echo "Installing terraform from HashiCorp's apt repository"
  if command -v curl >/dev/null 2>&1 && command -v gpg >/dev/null 2>&1 && [ -n "$codename" ] &&
    curl -fsSL --max-time 20 https://apt.releases.hashicorp.com/gpg | "${sudo_cmd[@]}" gpg --batch --yes --dearmor -o "$keyring" &&
    echo "deb [signed-by=$keyring] https://apt.releases.hashicorp.com $codename main" | "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/hashicorp.list >/dev/null &&
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq terraform >/dev/null; then
    echo "Installed $(terraform version | head -n 1)"
  else
    "${sudo_cmd[@]}" rm -f /etc/apt/sources.list.d/hashicorp.list "$keyring"
    echo "terraform is required (the version the README's Prerequisites name) and could not be installed from HashiCorp's apt repository." >&2
    echo "Install it from https://developer.hashicorp.com/terraform/install (a single binary on PATH), then run this script again." >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is required (found $(node --version))." >&2
  exit 1
fi

npm ci --no-audit --no-fund

# One provider plugin cache for every stack and every rebuild (`npm run deploy` uses it).
plugin_cache=$(scripts/plugin-cache.sh)

# A TF_CLI_CONFIG_FILE that names a missing file makes every Terraform call
# cdktf makes print a warning box; only then synthesize without one. A config
# that exists (mirrors, a plugin cache) is kept.
export CHECKPOINT_DISABLE=1
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  echo "TF_CLI_CONFIG_FILE names a missing file ($TF_CLI_CONFIG_FILE): synthesizing without a Terraform CLI configuration"
  export TF_CLI_CONFIG_FILE=/dev/null
fi

# In a terminal cdktf shows its spinner; in a log (CI, a pipe) it would leave
# spinner frames, so print one plain line instead and show cdktf's output only
# when it fails, without the frames.
if [ -t 1 ]; then
  npx cdktf synth
else
  echo "Synthesizing the stacks (npx cdktf synth)..."
  synth_log=$(mktemp)
  if ! CI=true npx cdktf synth >"$synth_log" 2>&1; then
    LC_ALL=C grep -av $'\xe2\xa0[\x80-\xbf]' "$synth_log" >&2 || true
    rm -f "$synth_log"
    exit 1
  fi
  grep -a -e '^warning: ' -e '^WARN ' "$synth_log" || true
  rm -f "$synth_log"
fi

echo
echo "Synthesized $(find cdktf.out/stacks -mindepth 1 -maxdepth 1 -type d | wc -l) stacks into $(pwd)/cdktf.out/stacks."
echo "Terraform provider cache (each provider downloaded once): $plugin_cache"
echo
echo "Next, with AWS credentials for the target account (README: Prerequisites), deploy everything:"
echo "  npm run deploy -- '*'"
