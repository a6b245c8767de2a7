#!/usr/bin/env bash
# Writes a fresh random agent token (64 hex digits, mode 600) for the compose
# cluster's `agent_token` secret:
#   docker/agent-token.sh [FILE]      (default docker/agent-token, git-ignored)
# docker/compose.yaml reads FAULTLINE_AGENT_TOKEN_FILE, else docker/agent-token;
# docker/run-nightly.sh and the docker tests make their own per run.
set -euo pipefail
file=${1:-$(cd "$(dirname "$0")" && pwd)/agent-token}
umask 077
tmp="$file.tmp.$$"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp"
mv -f "$tmp" "$file"
