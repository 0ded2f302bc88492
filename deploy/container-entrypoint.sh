#!/bin/sh
# First start: make the node from HUB_NAME and HUB_URL (the
# organiser's password is printed once, in the container's log). Later starts
# find config.toml and go straight to the command.
set -eu
if [ ! -f "$HUBNET_DATA_DIR/config.toml" ]; then
    : "${HUB_NAME:?set HUB_NAME for the first start}"
    : "${HUB_URL:?set HUB_URL for the first start}"
    hubnet init --name "$HUB_NAME" --url "$HUB_URL"
fi
exec "$@"
