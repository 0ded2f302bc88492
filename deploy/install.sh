#!/bin/sh
# Install a hubnet node on Debian or Raspberry Pi OS: a system user, a virtual
# environment with hubnet in it, and a hardened systemd unit. docs/OPERATIONS.md
# ("Install") explains each step; run with --help for the options.
#
#   sudo deploy/install.sh --name "Riverside" --url https://hub.example.org
#
# --root DIR installs into DIR as if it were / (for building an image, or to
# see what would be installed); nothing is started then.
set -eu

ROOT=/
PREFIX=/opt/hubnet
DATA_DIR=/var/lib/hubnet
USER_NAME=hubnet
SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=python3
PIP_ARGS=""
NAME=""
URL=""
START=yes

usage() {
    cat <<USAGE
usage: install.sh [--root DIR] [--prefix DIR] [--data-dir DIR] [--user NAME]
                  [--source DIR] [--python PYTHON] [--pip-args ARGS]
                  [--name NAME --url URL] [--no-start]

  --root DIR      install into DIR as if it were / (default /); starts nothing
  --prefix DIR    where the virtual environment goes (default /opt/hubnet)
  --data-dir DIR  the node's data directory (default /var/lib/hubnet)
  --user NAME     the system user the node runs as (default hubnet)
  --source DIR    the hubnet source to install (default: this checkout)
  --python PATH   the Python 3.11+ that makes the virtual environment (default python3)
  --pip-args ARGS extra arguments for pip install, e.g. "--no-deps"
  --name, --url   initialise the node (hubnet init) with this name and public URL
  --no-start      do not enable and start the service
USAGE
}

die() { echo "install.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT=$2; shift 2 ;;
        --prefix) PREFIX=$2; shift 2 ;;
        --data-dir) DATA_DIR=$2; shift 2 ;;
        --user) USER_NAME=$2; shift 2 ;;
        --source) SOURCE=$2; shift 2 ;;
        --python) PYTHON=$2; shift 2 ;;
        --pip-args) PIP_ARGS=$2; shift 2 ;;
        --name) NAME=$2; shift 2 ;;
        --url) URL=$2; shift 2 ;;
        --no-start) START=no; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo), to create the user and the service"
[ -f "$SOURCE/pyproject.toml" ] || die "$SOURCE is not a hubnet source tree"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || die "hubnet needs Python 3.11 or newer as $PYTHON (Debian 12 / Raspberry Pi OS 12 have it)"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null \
    || die "Python's venv module is missing: apt-get install python3-venv"
ROOT=${ROOT%/}
[ -n "$ROOT" ] || ROOT=""
[ -z "$ROOT" ] || mkdir -p "$ROOT"
if [ -n "$ROOT" ]; then START=no; fi

echo "1/4 system user $USER_NAME"
mkdir -p "$ROOT/usr/lib/sysusers.d" "$ROOT/etc"
printf 'u %s - "hubnet community hub node" %s /usr/sbin/nologin\n' "$USER_NAME" "$DATA_DIR" \
    > "$ROOT/usr/lib/sysusers.d/hubnet.conf"
if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers --root="${ROOT:-/}" "$ROOT/usr/lib/sysusers.d/hubnet.conf"
elif ! grep -q "^$USER_NAME:" "$ROOT/etc/passwd" 2>/dev/null; then
    useradd --root "${ROOT:-/}" --system --user-group --home-dir "$DATA_DIR" \
        --shell /usr/sbin/nologin "$USER_NAME"
fi

echo "2/4 virtual environment in $PREFIX/venv"
mkdir -p "$ROOT$PREFIX"
"$PYTHON" -m venv "$ROOT$PREFIX/venv"
# shellcheck disable=SC2086 # PIP_ARGS is a list of words on purpose
"$ROOT$PREFIX/venv/bin/pip" install --quiet $PIP_ARGS "$SOURCE"

echo "3/4 data directory $DATA_DIR and the systemd unit"
mkdir -p "$ROOT$DATA_DIR"
chmod 0700 "$ROOT$DATA_DIR"
if [ -z "$ROOT" ]; then chown "$USER_NAME:$USER_NAME" "$DATA_DIR"; fi
mkdir -p "$ROOT/etc/systemd/system"
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@DATA_DIR@|$DATA_DIR|g" -e "s|@USER@|$USER_NAME|g" \
    "$SOURCE/deploy/hubnet.service" > "$ROOT/etc/systemd/system/hubnet.service"

echo "4/4 first run"
if [ -n "$NAME" ] && [ -n "$URL" ] && [ -z "$ROOT" ] && [ ! -f "$DATA_DIR/config.toml" ]; then
    runuser -u "$USER_NAME" -- "$PREFIX/venv/bin/hubnet" init --data-dir "$DATA_DIR" \
        --name "$NAME" --url "$URL"
fi
if [ "$START" = yes ] && [ -f "$DATA_DIR/config.toml" ]; then
    systemctl daemon-reload
    systemctl enable --now hubnet.service
    echo "hubnet is running: systemctl status hubnet; journalctl -u hubnet"
elif [ -z "$ROOT" ]; then
    echo "Next: sudo -u $USER_NAME $PREFIX/venv/bin/hubnet init --data-dir $DATA_DIR" \
        "--name NAME --url URL, then: systemctl enable --now hubnet"
fi
echo "Installed hubnet into ${ROOT:-/}"
