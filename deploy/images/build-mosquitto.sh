#!/usr/bin/env bash
# Builds a Mosquitto broker image from Debian's mosquitto package, without pulling anything: the binary,
# the libraries ldd lists and a few system files, imported as one layer. It is laid out like the official
# eclipse-mosquitto image (/usr/sbin/mosquitto, /mosquitto/{config,data,log}, user mosquitto uid 1883), so
# the same tests run against the official image where Docker can pull it.
#   usage: deploy/images/build-mosquitto.sh [tag]     (default tag: eclipse-mosquitto:2.0)
# Idempotent: rebuilds only when the installed mosquitto differs from the image's label.
set -euo pipefail
TAG="${1:-eclipse-mosquitto:2.0}"

if ! command -v mosquitto >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
fi
VERSION=$(dpkg-query -W -f='${Version}' mosquitto)
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.cpnskeys.source" }}' "$TAG" 2>/dev/null || true)" = "debian-mosquitto-$VERSION" ]; then
  echo "$TAG is up to date (Debian mosquitto $VERSION)"
  exit 0
fi

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
BIN=/usr/sbin/mosquitto
mkdir -p "$ROOT/usr/sbin" "$ROOT/etc" "$ROOT/mosquitto/config" "$ROOT/mosquitto/data" "$ROOT/mosquitto/log" "$ROOT/tmp"
cp "$BIN" "$ROOT/usr/sbin/"
# every shared library the broker needs, with the loader, at their usual paths
for lib in $(ldd "$BIN" | grep -oE '/[^ ]+\.so[^ ]*'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
for nss in /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
  [ -e "$nss" ] && mkdir -p "$ROOT$(dirname "$nss")" && cp -L "$nss" "$ROOT$nss"
done
echo 'root:x:0:0:root:/root:/bin/false'               >  "$ROOT/etc/passwd"
echo 'mosquitto:x:1883:1883::/mosquitto:/bin/false'   >> "$ROOT/etc/passwd"
echo 'root:x:0:'                                      >  "$ROOT/etc/group"
echo 'mosquitto:x:1883:'                              >> "$ROOT/etc/group"
echo 'passwd: files'                                  >  "$ROOT/etc/nsswitch.conf"
echo 'group: files'                                   >> "$ROOT/etc/nsswitch.conf"
echo 'hosts: files dns'                               >> "$ROOT/etc/nsswitch.conf"
# the official image's default: listen locally only (tests always mount their own configuration)
printf 'persistence false\nlog_dest stderr\n' > "$ROOT/mosquitto/config/mosquitto.conf"
chmod 1777 "$ROOT/tmp"
chown -R 1883:1883 "$ROOT/mosquitto"

OLD=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change 'CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]' \
  --change 'EXPOSE 1883' \
  --change 'VOLUME ["/mosquitto/data", "/mosquitto/log"]' \
  --change "LABEL org.cpnskeys.source=debian-mosquitto-$VERSION" \
  - "$TAG" >/dev/null
if [ -n "$OLD" ] && [ "$OLD" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]; then
  docker image rm "$OLD" >/dev/null 2>&1 || true
fi
echo "built $TAG from Debian mosquitto $VERSION ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
