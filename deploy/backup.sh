#!/bin/sh
# pg_dump in the custom format, kept IOC_BACKUP_KEEP days, then restored into a scratch database
# and checked (the newest data_version and the number of documents must match): a backup that
# cannot be restored is reported as a failure, not discovered on the day it is needed.
set -eu
DB="${IOC_BACKUP_DB:-ioc}"
DIR="${IOC_BACKUP_DIR:-/var/backups/ioc}"
KEEP="${IOC_BACKUP_KEEP:-14}"
STAMP=$(date +%Y%m%d-%H%M)
FILE="$DIR/ioc-$STAMP.dump"
mkdir -p "$DIR"
pg_dump --format=custom --compress=6 --file="$FILE.part" "$DB"
mv "$FILE.part" "$FILE"
CHECK="ioc_restore_check"
dropdb --if-exists "$CHECK"
createdb "$CHECK"
pg_restore --no-owner --dbname="$CHECK" "$FILE"
want=$(psql -tA -d "$DB" -c "SELECT version_num FROM alembic_version")
got=$(psql -tA -d "$CHECK" -c "SELECT version_num FROM alembic_version")
docs=$(psql -tA -d "$CHECK" -c "SELECT count(*) FROM document")
live=$(psql -tA -d "$DB" -c "SELECT count(*) FROM document")
dropdb "$CHECK"
if [ "$got" != "$want" ] || { [ "$docs" -eq 0 ] && [ "$live" -gt 0 ]; }; then
  echo "restore check FAILED: $FILE restored schema '$got' with $docs documents (live: '$want', $live)" >&2
  exit 1
fi
find "$DIR" -name 'ioc-*.dump' -mtime +"$KEEP" -delete
echo "backup $FILE restored and checked (schema $got, $docs documents)"
