#!/usr/bin/env bash
# Builds a PostgreSQL image, cpns-postgres:local, from Debian's postgresql package, without pulling anything:
# the server's binaries and shared libraries (ldd), its share folder, the time zones and a dash shell for the
# entrypoint, imported as one layer. It follows the official 'postgres' image's conventions, so the same tests
# and Compose files run against postgres:15 where Docker can pull it:
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (one is required), POSTGRES_USER (default postgres),
#   POSTGRES_DB (default: the user's name), PGDATA=/var/lib/postgresql/data, port 5432, SCRAM passwords,
#   every address allowed with a password. On the first start (empty PGDATA) the entrypoint runs initdb and
#   creates the database; every start then runs postgres. It runs as uid 10001 (the uid of cpns-keys:local,
#   so both can read secrets a cpns container wrote into a shared volume); no JIT (LLVM would triple it).
#   usage: deploy/images/build-postgres.sh [tag]     (default tag: cpns-postgres:local)
# Needs: docker; Debian's postgresql (installed here when missing).
# Idempotent: rebuilds only when the PostgreSQL package or this script changed (the image's label).
set -euo pipefail
TAG="${1:-cpns-postgres:local}"

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | sed -n '$p')
PACKAGE=$(dpkg-query -W -f='${Version}' "postgresql-$VERSION")
SUM=$( { echo "$PACKAGE"; cat "$0"; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.cpnskeys.postgres" }}' "$TAG" 2>/dev/null || true)" = "$SUM" ]; then
  echo "$TAG is up to date (Debian postgresql $PACKAGE)"
  exit 0
fi

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
PG="/usr/lib/postgresql/$VERSION"
copy() { mkdir -p "$ROOT$(dirname "$1")"; cp -L "$1" "$ROOT$1"; }
mkdir -p "$ROOT/usr/lib/postgresql" "$ROOT/usr/share/postgresql" "$ROOT/bin" "$ROOT/etc" "$ROOT/tmp" \
  "$ROOT/var/lib/postgresql/data" "$ROOT/var/run/postgresql" "$ROOT/usr/local/bin"
cp -a "$PG" "$ROOT/usr/lib/postgresql/"
rm -rf "$ROOT$PG"/lib/llvmjit* "$ROOT$PG"/lib/bitcode
cp -a "/usr/share/postgresql/$VERSION" "$ROOT/usr/share/postgresql/"
cp -a /usr/share/zoneinfo "$ROOT/usr/share/"
copy /bin/dash
ln -s dash "$ROOT/bin/sh"
libs() { ldd "$1" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' || true; }
{
  libs /bin/dash
  for f in "$ROOT$PG"/bin/* "$ROOT$PG"/lib/*.so; do libs "$f"; done
  ls /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libresolv.so.2
} | sort -u | while read -r lib; do
  [ -e "$lib" ] && copy "$lib"
done
echo 'root:x:0:0:root:/root:/bin/false'                        >  "$ROOT/etc/passwd"
echo 'postgres:x:10001:10001::/var/lib/postgresql:/bin/false'  >> "$ROOT/etc/passwd"
echo 'root:x:0:'                                               >  "$ROOT/etc/group"
echo 'postgres:x:10001:'                                       >> "$ROOT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$ROOT/etc/nsswitch.conf"

cat > "$ROOT/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# The official image's conventions: POSTGRES_PASSWORD[_FILE], POSTGRES_USER, POSTGRES_DB, PGDATA.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then exec "$@"; fi   # another program: run it instead
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    password=
    if [ -r "$POSTGRES_PASSWORD_FILE" ]; then IFS= read -r password < "$POSTGRES_PASSWORD_FILE" || true; fi
    [ -n "$password" ] || { echo "cannot read a password from POSTGRES_PASSWORD_FILE=$POSTGRES_PASSWORD_FILE" >&2; exit 1; }
  else
    password="${POSTGRES_PASSWORD:-}"
  fi
  [ -n "$password" ] || { echo "database is uninitialized and no password is set: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2; exit 1; }
  # the password reaches initdb through a here-document (stdin), never the command line or a file left behind
  initdb -D "$PGDATA" -U "$user" --pwfile=/dev/stdin -A scram-sha-256 -E UTF8 --no-locale >/dev/null <<EOF
$password
EOF
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "PostgreSQL init process complete: user $user, database $db"
fi
exec postgres -D "$PGDATA" "$@"
SH
chmod 755 "$ROOT/usr/local/bin/docker-entrypoint.sh"
chmod 1777 "$ROOT/tmp"
chown -R 10001:10001 "$ROOT/var/lib/postgresql" "$ROOT/var/run/postgresql"
chmod 700 "$ROOT/var/lib/postgresql/data"

OLD=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change "ENV PATH=$PG/bin:/usr/local/bin:/bin PGDATA=/var/lib/postgresql/data" \
  --change 'USER 10001' \
  --change 'EXPOSE 5432' \
  --change 'VOLUME ["/var/lib/postgresql/data"]' \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  --change "LABEL org.cpnskeys.postgres=$SUM" \
  - "$TAG" >/dev/null
if [ -n "$OLD" ] && [ "$OLD" != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]; then
  docker image rm "$OLD" >/dev/null 2>&1 || true
fi
echo "built $TAG from Debian postgresql $PACKAGE ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
