#!/usr/bin/env bash
# Measures backup and point-in-time recovery of the demo city's database with pg-backup.sh and prints the figures.
#
#   deploy/backup/measure-recovery.sh [--work-dir DIR] [--keep]
#
# 1. Starts the Release server once on an empty embedded cluster so it seeds Aarhus (38 lots, ~5,000 spaces and a
#    week of history), then stops it. 2. Turns WAL archiving on for that cluster and starts the server on it again,
#    so the demo sensors keep writing through the real pipeline. 3. Takes a base backup under that load, lets the
#    server write on, notes a target time T between two marker rows, and archives the last segment. 4. Stops the
#    server, restores to T into a new directory and starts it (replay + promotion), then checks the markers.
# Everything lives in a temporary directory that is removed at the end (kept with --keep).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
backup_script=$repo/deploy/backup/pg-backup.sh

work_parent=${TMPDIR:-/tmp}; keep=false
while [ $# -gt 0 ]; do
  case $1 in
    --work-dir) work_parent=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "usage: $0 [--work-dir DIR] [--keep]" >&2; exit 2 ;;
  esac
done

die() { echo "measure-recovery: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d "$work_parent/sp-recovery.XXXXXX")
# The PostgreSQL service user must reach the clusters, the archive and the logs inside.
chmod 755 "$work"
pg_ctl=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -n 1)/pg_ctl
[ -x "$pg_ctl" ] || pg_ctl=$(command -v pg_ctl) || die "PostgreSQL is not installed (apt-get install postgresql)"
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true
  for dir in "$work/data/postgres" "$work/restored"; do
    [ -f "$dir/postmaster.pid" ] || continue
    if [ "$(id -u)" = 0 ]; then runuser -u "$(stat -c %U "$dir")" -- "$pg_ctl" stop -D "$dir" -m fast >/dev/null 2>&1 || true
    else "$pg_ctl" stop -D "$dir" -m fast >/dev/null 2>&1 || true; fi
  done
  if $keep; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "building the Release server ..."
dotnet build -c Release src/SmartParking.Server -nologo -v q >"$work/build.log" 2>&1 || die "build failed (see $work/build.log)"

http_port=$(free_port); mqtt_port=$(free_port)
start_server() {
  (cd src/SmartParking.Server && ASPNETCORE_ENVIRONMENT=Development exec dotnet bin/Release/net10.0/SmartParking.Server.dll \
    --urls "http://127.0.0.1:$http_port" --Mqtt:Port "$mqtt_port" --Database:DataDirectory "$work/data" --Demo:Seed true \
    --Logging:Json true) >>"$work/server.log" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + 900))
  until curl -fsS "http://127.0.0.1:$http_port/health/ready" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || die "the server exited (see $work/server.log)"
    [ $SECONDS -lt $deadline ] || die "the server was not ready within 900 s"
    sleep 1
  done
}
stop_server() { kill "$server_pid"; wait "$server_pid" || true; server_pid=""; }

echo "seeding the demo city ..."
t0=$(now); start_server; t1=$(now)
echo "  seeded and ready in $(elapsed "$t0" "$t1") s"
stop_server

# The embedded cluster: TCP on loopback only, the password beside it, the port chosen at each start.
cluster=$work/data/postgres
pg_port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=smartparking PGDATABASE=parking PGPASSWORD
PGPASSWORD=$(cat "$work/data/postgres.password")
if [ "$(id -u)" = 0 ]; then runuser -u "$(stat -c %U "$cluster")" -- "$pg_ctl" start -D "$cluster" -o "-p $pg_port" -l "$work/data/postgres.log" -w >/dev/null
else "$pg_ctl" start -D "$cluster" -o "-p $pg_port" -l "$work/data/postgres.log" -w >/dev/null; fi
PGDATABASE=$(psql -XAtc "select datname from pg_database where datname not in ('postgres', 'template0', 'template1') order by pg_database_size(datname) desc limit 1" postgres)
"$backup_script" configure --pgdata "$cluster" --archive "$work/archive" --archive-timeout 60 | sed 's/^/  /'

echo "starting the server on the archiving cluster (demo sensors keep writing) ..."
start_server
psql -Xqc "create table if not exists recovery_marker (phase text primary key, at timestamptz not null default clock_timestamp())"
db_size=$(psql -XAtc "select pg_size_pretty(pg_database_size(current_database()))")
readings_at_backup=$(psql -XAtc "select count(*) from sensor_readings")

t0=$(now)
backup=$("$backup_script" base-backup --backup-dir "$work/backups" | tail -n 1)
t1=$(now)
backup_seconds=$(elapsed "$t0" "$t1")
backup_size=$(du -sh "$backup" | cut -f1)
echo "  base backup: $backup_seconds s, $backup_size"

# Writes after the backup that the restore must replay from the archive: 20 s of live sensor traffic.
sleep 20
psql -Xqc "insert into recovery_marker (phase) values ('before-target')"
readings_before_target=$(psql -XAtc "select count(*) from sensor_readings")
target=$(psql -XAtc "select clock_timestamp()::text")
psql -Xqc "insert into recovery_marker (phase) values ('after-target')"
last_segment=$(psql -XAtc "select pg_walfile_name(pg_switch_wal())")
deadline=$((SECONDS + 120))
until [ -f "$work/archive/$last_segment" ]; do
  [ $SECONDS -lt $deadline ] || die "WAL segment $last_segment was not archived within 120 s"
  sleep 0.2
done
archived_since_backup=$(du -ch "$work/archive"/0* | tail -n 1 | cut -f1)
stop_server

echo "restoring to $target ..."
restored_port=$(free_port)
t0=$(now)
"$backup_script" restore --from "$backup" --archive "$work/archive" --pgdata "$work/restored" --target-time "$target" \
  --port "$restored_port" --start | sed 's/^/  /'
t1=$(now)
restore_seconds=$(elapsed "$t0" "$t1")
markers=$(PGPORT=$restored_port psql -XAtc "select string_agg(phase, ',' order by phase) from recovery_marker")
readings_restored=$(PGPORT=$restored_port psql -XAtc "select count(*) from sensor_readings")
[ "$markers" = before-target ] || die "the restored cluster has markers '$markers', expected only before-target"

cat <<EOF

Backup and point-in-time recovery of the demo city ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))
  database size                      $db_size
  base backup (pg_basebackup, fast checkpoint, WAL streamed, verified)
                                     $backup_seconds s, $backup_size on disk
  WAL archived (backup + 20 s of live traffic + switch)
                                     $archived_since_backup
  restore to T (copy, replay, promote)
                                     $restore_seconds s
  sensor readings                    $readings_at_backup at backup, $readings_before_target just before T, $readings_restored restored (the ones committed before T)
  markers after restore              $markers (the one written after T is absent)
EOF
