#!/usr/bin/env bash
# Builds a minimal PostgreSQL image, cpns-postgres:local, from Debian's postgresql package on this machine,
# without pulling anything: the server binaries and their libraries, a dash shell for the entrypoint. On the
# first start the entrypoint creates the cluster (initdb, SCRAM passwords), the user POSTGRES_USER (default
# cpns) with the password in POSTGRES_PASSWORD_FILE and the database POSTGRES_DB (default cpns); then it runs
# postgres listening on every address. Runs as uid 10001 (the same uid as cpns-keys:local, so both can read
# the secrets a cpns init container wrote into a shared volume).
#   usage: deploy/images/build-postgres.sh [tag]     (default tag: cpns-postgres:local)
# Needs: Debian's postgresql (apt-get install postgresql; .ci/postgres installs it), docker.
# Idempotent: rebuilds only when the PostgreSQL binaries or this script changed.
# (Coordinated name: the container tests of issue E use the same image name; expect one script after the merge.)
set -euo pipefail
TAG="${1:-cpns-postgres:local}"
VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | sed -n '$p')
[ -n "$VERSION" ] || { echo "no /usr/lib/postgresql/<version>: apt-get install postgresql" >&2; exit 2; }
PGBIN="/usr/lib/postgresql/$VERSION/bin"
SUM=$( { ls -l --time-style=+%s "$PGBIN" "/usr/lib/postgresql/$VERSION/lib"; cat "$0"; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.cpnskeys.postgres" }}' "$TAG" 2>/dev/null || true)" = "$SUM" ]; then
  echo "$TAG is up to date"
  exit 0
fi
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
copy() { mkdir -p "$ROOT$(dirname "$1")"; cp -a -L "$1" "$ROOT$1"; }
mkdir -p "$ROOT/usr/lib/postgresql" "$ROOT/usr/share/postgresql" "$ROOT/usr/share" "$ROOT/bin" "$ROOT/etc" "$ROOT/tmp" \
  "$ROOT/var/lib/postgresql/data" "$ROOT/usr/local/bin"
cp -a "/usr/lib/postgresql/$VERSION" "$ROOT/usr/lib/postgresql/"
# no JIT: LLVM alone would triple the image
rm -rf "$ROOT/usr/lib/postgresql/$VERSION"/lib/llvmjit* "$ROOT/usr/lib/postgresql/$VERSION"/lib/bitcode
cp -a "/usr/share/postgresql/$VERSION" "$ROOT/usr/share/postgresql/"
cp -a /usr/share/zoneinfo "$ROOT/usr/share/"
copy /bin/dash
ln -s dash "$ROOT/bin/sh"
libs() { ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' || true; }
{
  libs /bin/dash
  for f in "$PGBIN"/* "$ROOT/usr/lib/postgresql/$VERSION"/lib/*.so; do libs "$f"; done
  ls /lib/x86_64-linux-gnu/libnss_files.so.2 2>/dev/null || true
} | sort -u | while read -r lib; do
  [ -e "$lib" ] || continue
  copy "$lib"
done
echo 'root:x:0:0:root:/root:/bin/false'                          >  "$ROOT/etc/passwd"
echo 'postgres:x:10001:10001::/var/lib/postgresql:/bin/false'    >> "$ROOT/etc/passwd"
echo 'root:x:0:'                                                 >  "$ROOT/etc/group"
echo 'postgres:x:10001:'                                         >> "$ROOT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$ROOT/etc/nsswitch.conf"
cat > "$ROOT/usr/local/bin/cpns-postgres" <<'SH'
#!/bin/sh
# First start: a new cluster with one SCRAM user and its database; every start: postgres on all addresses.
set -eu
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
USER_NAME="${POSTGRES_USER:-cpns}"
DB="${POSTGRES_DB:-cpns}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  PW="${POSTGRES_PASSWORD_FILE:?set POSTGRES_PASSWORD_FILE to a file holding the password of $USER_NAME}"
  initdb -D "$PGDATA" -U "$USER_NAME" --pwfile="$PW" -A scram-sha-256 -E UTF8 --no-locale >/dev/null
  echo "CREATE DATABASE \"$DB\" OWNER \"$USER_NAME\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "cpns-postgres: created user $USER_NAME and database $DB"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp -c jit=off
SH
chmod 755 "$ROOT/usr/local/bin/cpns-postgres"
chmod 1777 "$ROOT/tmp"
chown -R 10001:10001 "$ROOT/var/lib/postgresql"
chmod 700 "$ROOT/var/lib/postgresql/data"

OLD=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change "ENV PATH=$PGBIN:/usr/local/bin:/bin PGDATA=/var/lib/postgresql/data" \
  --change 'USER 10001' \
  --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["/usr/local/bin/cpns-postgres"]' \
  --change "LABEL org.cpnskeys.postgres=$SUM" \
  - "$TAG" >/dev/null
if [ -n "$OLD" ] && [ "$OLD" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]; then
  docker image rm "$OLD" >/dev/null 2>&1 || true
fi
echo "built $TAG (PostgreSQL $VERSION, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
