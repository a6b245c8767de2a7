#!/bin/sh
# Node container entrypoint: the agent's token comes from the compose secret
# (/run/secrets/agent_token, or $FAULTLINE_AGENT_TOKEN_FILE); the agent wants
# it mode 600, which a bind-mounted secret may not be, so it is copied first.
# The state dir (journal, SUT logs, event socket) is a volume, so a container
# killed mid-fault and started again heals what its journal held.
set -eu
state=${FAULTLINE_STATE_DIR:-/var/lib/faultline/state}
mkdir -p "$state" /var/lib/faultline/data
src=${FAULTLINE_AGENT_TOKEN_FILE:-/run/secrets/agent_token}
umask 077
cp "$src" /var/lib/faultline/token
exec /usr/local/bin/faultline-agent --listen "0.0.0.0:${FAULTLINE_AGENT_PORT:-7070}" \
  --token-file /var/lib/faultline/token --state-dir "$state" "$@"
