#!/bin/sh
# Installs what earshot needs on a Debian machine with Node 20, and builds it. Quick when all is there.
# Debian packages: prosody and coturn (the lab), ffmpeg (audio formats beyond WAV).
set -e
cd "$(dirname "$0")/.."

missing=""
command -v prosody >/dev/null 2>&1 || missing="$missing prosody"
command -v turnserver >/dev/null 2>&1 || missing="$missing coturn"
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
if [ -n "$missing" ]; then
  echo "earshot setup: installing Debian packages:$missing" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "earshot setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -p tsconfig.json
