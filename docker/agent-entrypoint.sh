#!/bin/sh
# faultline/agent entrypoint (/opt/faultline/bin/faultline-agent-entrypoint):
# the container's main process is the agent; the service under test is the
# SUT the suite names, started (and killed, paused, clock-shifted) by it.
# The token comes from the compose secret /run/secrets/agent_token (or
# $FAULTLINE_AGENT_TOKEN_FILE); the agent wants it mode 600, which a
# bind-mounted secret may not be, so it is copied first. Env:
# FAULTLINE_STATE_DIR (journal, SUT logs, event socket; default
# /var/lib/faultline/state, make it a volume to survive `docker kill`),
# FAULTLINE_DATA_DIR (the SUT's {data}, default /var/lib/faultline/data),
# FAULTLINE_AGENT_PORT (default 7070). Extra arguments go to the agent.
set -eu
state=${FAULTLINE_STATE_DIR:-/var/lib/faultline/state}
mkdir -p "$state" "${FAULTLINE_DATA_DIR:-/var/lib/faultline/data}"
src=${FAULTLINE_AGENT_TOKEN_FILE:-/run/secrets/agent_token}
[ -r "$src" ] || { echo "faultline-agent-entrypoint: no agent token at $src (add the compose secret agent_token)" >&2; exit 2; }
umask 077
cp "$src" /var/lib/faultline/token
exec /opt/faultline/bin/faultline-agent --listen "0.0.0.0:${FAULTLINE_AGENT_PORT:-7070}" \
  --token-file /var/lib/faultline/token --state-dir "$state" "$@"
