#!/usr/bin/env bash
# PostgreSQL backups for SmartParking: WAL archiving, base backups (pg_basebackup) and point-in-time restore.
# See docs/operations.md, "Backups and recovery". Every failure ends with one line on stderr and a non-zero exit.
#
#   pg-backup.sh configure   --pgdata DIR --archive DIR [--archive-timeout SECONDS]
#   pg-backup.sh base-backup --backup-dir DIR
#   pg-backup.sh restore     --from BASE_BACKUP --archive DIR --pgdata NEW_DIR --target-time TIME [--port PORT] [--start]
#   pg-backup.sh prune       --backup-dir DIR --archive DIR --keep N
#
# The source cluster is reached through the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE,
# PGDATABASE); the connecting role needs superuser or REPLICATION plus pg_read_all_settings. Server-side commands
# (pg_ctl) run as the owner of the data directory, so this works as root as well as as the postgres user.
set -euo pipefail

die() { echo "pg-backup: $*" >&2; exit 1; }

usage() { sed -n '5,8p' "$0" | sed 's/^#   /usage: /' >&2; exit 2; }

find_bin() {
  local name=$1 dir
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/$name" ] || die "$name not found in PG_BIN=$PG_BIN"
    echo "$PG_BIN/$name"; return
  fi
  # Debian keeps the server tools off PATH, one directory per major version: take the newest.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  command -v "$name" 2>/dev/null || die "$name not found: install PostgreSQL (apt-get install postgresql) or set PG_BIN"
}

# Runs a server-side command as the owner of a data directory (postgres refuses to run as root).
as_owner() {
  local dir=$1; shift
  local owner; owner=$(stat -c %U "$dir")
  if [ "$(id -un)" = "$owner" ]; then "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"
  else die "$dir belongs to $owner: run this as $owner or as root"
  fi
}

psql_value() { "$(find_bin psql)" -X -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# Paths go into archive_command and restore_command unquoted, so they must not need quoting.
check_path() {
  [[ $2 =~ ^/[A-Za-z0-9/._-]+$ ]] || die "$1 must be an absolute path of letters, digits and / . _ - (got '$2')"
}

configure() {
  local pgdata="" archive="" timeout=60
  while [ $# -gt 0 ]; do
    [ "$1" = --start ] || [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
      --pgdata) pgdata=$2; shift 2 ;;
      --archive) archive=$2; shift 2 ;;
      --archive-timeout) timeout=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  [ -n "$pgdata" ] && [ -n "$archive" ] || usage
  [ -f "$pgdata/PG_VERSION" ] || die "--pgdata $pgdata is not a PostgreSQL data directory"
  check_path --archive "$archive"
  [[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -ge 1 ] || die "--archive-timeout must be a whole number of seconds ≥ 1 (got '$timeout')"

  mkdir -p "$archive"
  chown "$(stat -c %U:%G "$pgdata")" "$archive" 2>/dev/null || true
  chmod 700 "$archive"
  # Copy under a temporary name, flush, then rename: the archive never holds a partial segment under its real name,
  # and an existing segment is never overwritten (PostgreSQL retries until the command succeeds).
  local command="test ! -f $archive/%f && cp %p $archive/%f.partial && sync $archive/%f.partial && mv $archive/%f.partial $archive/%f"
  psql_value "ALTER SYSTEM SET wal_level = 'replica'" >/dev/null
  psql_value "ALTER SYSTEM SET archive_mode = 'on'" >/dev/null
  psql_value "ALTER SYSTEM SET archive_command = '$command'" >/dev/null
  psql_value "ALTER SYSTEM SET archive_timeout = '${timeout}s'" >/dev/null
  # wal_level and archive_mode take effect only at a restart.
  as_owner "$pgdata" "$(find_bin pg_ctl)" restart -D "$pgdata" -m fast -w -t 120 >/dev/null \
    || die "could not restart the cluster in $pgdata (see its log)"
  wait_until_accepting
  [ "$(psql_value "SHOW archive_mode")" = on ] || die "archive_mode is still off after the restart"
  echo "archiving to $archive (archive_timeout ${timeout}s)"
}

wait_until_accepting() {
  local deadline=$((SECONDS + 120))
  until "$(find_bin pg_isready)" -q; do
    [ $SECONDS -lt $deadline ] || die "PostgreSQL at ${PGHOST:-local}:${PGPORT:-5432} did not accept connections within 120 s"
    sleep 0.2
  done
}

base_backup() {
  local backup_dir=""
  while [ $# -gt 0 ]; do
    [ "$1" = --start ] || [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
      --backup-dir) backup_dir=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  [ -n "$backup_dir" ] || usage
  [ "$(psql_value "SHOW archive_mode")" != off ] || die "archiving is off on the source cluster: run 'configure' first"
  mkdir -p "$backup_dir"
  local target; target="$backup_dir/base-$(date -u +%Y%m%dT%H%M%SZ)"
  [ ! -e "$target" ] || die "$target already exists"
  # Plain format restores by copying; -X stream puts the WAL the backup needs inside it, so the backup alone is
  # consistent, and the archive carries it forward in time. A fast checkpoint starts the copy at once.
  "$(find_bin pg_basebackup)" -D "$target.partial" -F plain -X stream --checkpoint=fast --no-password \
    || { rm -rf "$target.partial"; die "pg_basebackup failed (see above)"; }
  "$(find_bin pg_verifybackup)" -q "$target.partial" || die "the backup in $target.partial does not verify"
  mv "$target.partial" "$target"
  echo "$target"
}

restore() {
  local from="" archive="" pgdata="" target_time="" port="" start=false
  while [ $# -gt 0 ]; do
    [ "$1" = --start ] || [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
      --from) from=$2; shift 2 ;;
      --archive) archive=$2; shift 2 ;;
      --pgdata) pgdata=$2; shift 2 ;;
      --target-time) target_time=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --start) start=true; shift ;;
      *) usage ;;
    esac
  done
  [ -n "$from" ] && [ -n "$archive" ] && [ -n "$pgdata" ] && [ -n "$target_time" ] || usage
  [ -f "$from/backup_manifest" ] || die "--from $from is not a base backup (no backup_manifest)"
  [ -d "$archive" ] || die "--archive $archive does not exist"
  check_path --archive "$archive"
  [ ! -e "$pgdata" ] || die "--pgdata $pgdata already exists: restore into a new directory"
  [ -z "$port" ] || [[ $port =~ ^[0-9]+$ ]] || die "--port must be a number (got '$port')"
  date -d "$target_time" >/dev/null 2>&1 || die "--target-time '$target_time' is not a time (e.g. '2026-12-06 04:30:00+00')"

  cp -a "$from" "$pgdata"
  rm -f "$pgdata/backup_manifest"
  chmod 700 "$pgdata"
  # The restored server runs as the user that runs PostgreSQL here, like the archive it reads.
  chown -R "$(stat -c %U:%G "$archive")" "$pgdata"
  cat >>"$pgdata/postgresql.auto.conf" <<EOF
# Point-in-time restore by pg-backup.sh: replay the archive up to the target, then open for writes on a new timeline.
restore_command = 'cp $archive/%f %p'
recovery_target_time = '$target_time'
recovery_target_inclusive = off
recovery_target_action = 'promote'
EOF
  [ -z "$port" ] || echo "port = $port" >>"$pgdata/postgresql.auto.conf"
  touch "$pgdata/recovery.signal"
  chown "$(stat -c %U:%G "$archive")" "$pgdata/recovery.signal"
  $start || { echo "restored into $pgdata; start it with pg_ctl start -D $pgdata"; return; }

  local log; log="$(dirname "$pgdata")/$(basename "$pgdata").log"
  touch "$log"; chown "$(stat -c %U "$pgdata")" "$log"
  as_owner "$pgdata" "$(find_bin pg_ctl)" start -D "$pgdata" -l "$log" -w -t 600 >/dev/null \
    || die "the restored cluster did not start: $(tail -n 3 "$log" | tr '\n' ' ')"
  export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${port:-${PGPORT:-5432}}
  wait_until_accepting
  # Connections open once the replay is consistent; writes only once the target is reached and it has promoted.
  local deadline=$((SECONDS + 600))
  until [ "$(psql_value "SELECT pg_is_in_recovery()")" = f ]; do
    [ $SECONDS -lt $deadline ] || die "the restored cluster was still recovering after 600 s (see $log)"
    sleep 0.2
  done
  echo "restored into $pgdata to $target_time; open on port $PGPORT"
}

prune() {
  local backup_dir="" archive="" keep=""
  while [ $# -gt 0 ]; do
    [ "$1" = --start ] || [ $# -ge 2 ] || die "$1 needs a value"
    case $1 in
      --backup-dir) backup_dir=$2; shift 2 ;;
      --archive) archive=$2; shift 2 ;;
      --keep) keep=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  [ -n "$backup_dir" ] && [ -n "$archive" ] && [ -n "$keep" ] || usage
  [[ $keep =~ ^[0-9]+$ ]] && [ "$keep" -ge 1 ] || die "--keep must be at least 1 (got '$keep')"
  local backups; mapfile -t backups < <(ls -d "$backup_dir"/base-*Z 2>/dev/null | sort)
  [ ${#backups[@]} -gt "$keep" ] || { echo "nothing to prune (${#backups[@]} base backups)"; return; }
  local oldest_kept=${backups[${#backups[@]}-keep]}
  rm -rf "${backups[@]:0:${#backups[@]}-keep}"
  # WAL older than the oldest kept backup's start can no longer be replayed onto anything.
  local first_wal; first_wal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p' "$oldest_kept/backup_label")
  [ -n "$first_wal" ] || die "no start WAL file in $oldest_kept/backup_label"
  "$(find_bin pg_archivecleanup)" "$archive" "$first_wal"
  echo "kept ${keep} base backups from $(basename "$oldest_kept"); archive cleaned before $first_wal"
}

[ $# -ge 1 ] || usage
command=$1; shift
case $command in
  configure) configure "$@" ;;
  base-backup) base_backup "$@" ;;
  restore) restore "$@" ;;
  prune) prune "$@" ;;
  *) usage ;;
esac
