#!/usr/bin/env bash
# Terraform's provider plugin cache, shared by the four stacks and by every
# rebuild on this machine: each provider version is downloaded once, then
# linked into each stack's .terraform folder by `terraform init`.
#
#   scripts/plugin-cache.sh                  create the cache folder, print its path
#   scripts/plugin-cache.sh cdktf deploy ... run a command with the cache in its environment
#
# The folder is TF_PLUGIN_CACHE_DIR when set, else
# ${XDG_CACHE_HOME:-~/.cache}/k8s-mesh-platform/terraform-plugins. Terraform
# needs it to exist before it caches anything.
#
# A stack's folder (cdktf.out/stacks/<stack>, not committed) has no
# dependency lock file until its first `terraform init`, and Terraform (1.4
# and later) takes a provider from the cache only when the folder's lock file
# already lists it: otherwise it downloads it again, once per stack. With
# TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE set, a provider found in the
# cache is used and its checksum (this machine's platform only) written to
# the new lock file. Set it to an empty value to keep Terraform's default.
set -euo pipefail

cache_dir="${TF_PLUGIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-mesh-platform/terraform-plugins}"
case "$cache_dir" in
  /*) ;;
  *) echo "TF_PLUGIN_CACHE_DIR must be an absolute path (each stack runs Terraform in its own folder), got: $cache_dir" >&2; exit 2 ;;
esac
mkdir -p "$cache_dir"

if [ "$#" -eq 0 ]; then
  echo "$cache_dir"
  exit 0
fi

export TF_PLUGIN_CACHE_DIR="$cache_dir"
export TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE="${TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE-true}"
exec "$@"
