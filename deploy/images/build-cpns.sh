#!/usr/bin/env bash
# Builds the CPNS Keys image (server, gateway, broker and pne roles: one launcher, the command picks the
# role) from the built jars on a minimal Java runtime made with jlink, without pulling anything.
#   usage: deploy/images/build-cpns.sh [tag]     (default tag: cpns-keys:local)
# Needs: 'mvn -B -DskipTests package' done (deploy/target/lib), a JDK with jmods (openjdk-17-jdk-headless).
# Idempotent: rebuilds only when the jars changed (their checksum is the image's label).
set -euo pipefail
TAG="${1:-cpns-keys:local}"
HERE=$(cd "$(dirname "$0")" && pwd)
LIB="$HERE/../target/lib"
[ -d "$LIB" ] || { echo "no $LIB: run 'mvn -B -DskipTests package' first" >&2; exit 2; }
SUM=$(cd "$LIB" && ls -l --time-style=+%s . | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.cpnskeys.jars" }}' "$TAG" 2>/dev/null || true)" = "$SUM" ]; then
  echo "$TAG is up to date"
  exit 0
fi

JDK="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
[ -d "$JDK/jmods" ] || { echo "no jmods in $JDK: install openjdk-17-jdk-headless" >&2; exit 2; }
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
"$JDK/bin/jlink" --module-path "$JDK/jmods" --output "$ROOT/opt/java" --strip-debug --no-header-files \
  --no-man-pages --compress=2 \
  --add-modules java.base,java.logging,java.management,java.naming,java.sql,java.xml,java.desktop,java.instrument,java.scripting,java.security.jgss,java.net.http,jdk.unsupported,jdk.crypto.ec,jdk.naming.dns,jdk.management,jdk.zipfs
mkdir -p "$ROOT/opt/cpns/lib" "$ROOT/etc" "$ROOT/tmp" "$ROOT/data"
cp "$LIB"/*.jar "$ROOT/opt/cpns/lib/"
# the shared libraries of the runtime and of the native code in the jars (RocksDB, SQLite, Netty)
libs() { ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' || true; }
{
  libs "$ROOT/opt/java/bin/java"
  for so in "$ROOT"/opt/java/lib/*.so "$ROOT"/opt/java/lib/server/*.so; do libs "$so"; done
  ls /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libresolv.so.2
  ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libz.so.1
} | sort -u | while read -r lib; do
  [ -e "$lib" ] || continue
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
echo 'root:x:0:0:root:/root:/bin/false'   >  "$ROOT/etc/passwd"
echo 'cpns:x:10001:10001::/data:/bin/false' >> "$ROOT/etc/passwd"
echo 'root:x:0:'                          >  "$ROOT/etc/group"
echo 'cpns:x:10001:'                      >> "$ROOT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$ROOT/etc/hosts"
chmod 1777 "$ROOT/tmp"
chown 10001:10001 "$ROOT/data"

OLD=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change 'ENV JAVA_HOME=/opt/java' \
  --change 'ENV CPNS_SERVER_DATA=/data/server CPNS_GATEWAY_DATA=/data/gateway CPNS_BROKER_DATA=/data/broker' \
  --change 'WORKDIR /data' \
  --change 'USER 10001' \
  --change 'ENTRYPOINT ["/opt/java/bin/java", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-cp", "/opt/cpns/lib/*", "org.cpnskeys.deploy.Cpns"]' \
  --change 'CMD ["--help"]' \
  --change "LABEL org.cpnskeys.jars=$SUM" \
  - "$TAG" >/dev/null
if [ -n "$OLD" ] && [ "$OLD" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]; then
  docker image rm "$OLD" >/dev/null 2>&1 || true
fi
echo "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
