#!/bin/sh
# Installs what earshot needs on a Debian machine with Node 20, and builds it. Quick when all is there.
# Debian packages: prosody and coturn (the lab), ffmpeg (audio formats beyond WAV).
# `setup.sh test` adds what the test suite uses besides: tshark (decodes captures), chromium (renders the HTML
# reports), libxml2-utils (xmllint checks JUnit files against a schema), ejabberd (the lab's second server), and
# Dino and Gajim with what runs them headless (Xvfb, a session D-Bus, PulseAudio, their GStreamer plugins).
set -e
cd "$(dirname "$0")/.."

packages="prosody coturn ffmpeg"
if [ "$1" = "test" ]; then
  packages="$packages tshark chromium libxml2-utils ejabberd"
  packages="$packages dino-im gajim xvfb dbus-x11 pulseaudio pulseaudio-utils sqlite3 gir1.2-farstream-0.2"
  packages="$packages gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-pulseaudio gstreamer1.0-gl gstreamer1.0-gtk3"
fi

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
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
