#!/usr/bin/env bash
# Installs the system packages the build, the tests and the scripts need, when they are missing.
# Debian/Ubuntu: libsqlite3-dev (GRDB links the system SQLite), sqlite3 and jq (scripts and the
# contract smoke test). Safe to rerun.
set -euo pipefail
for a in "$@"; do
  case "$a" in
    -h|--help) echo "usage: Scripts/install-deps.sh [DEBIAN-PACKAGE...]   installs libsqlite3-dev, sqlite3, jq and any packages named, when missing"; exit 0 ;;
    -*) echo "install-deps: unknown option $a (see --help)" >&2; exit 64 ;;
  esac
done
need=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v jq >/dev/null 2>&1 || need+=(jq)
for extra in "$@"; do
  dpkg -s "$extra" >/dev/null 2>&1 || need+=("$extra")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: nothing to install"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${need[*]}; install them with your package manager" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "install-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
