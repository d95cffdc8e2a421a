#!/bin/sh
# A dump of the central server's PostgreSQL database (pg_dump's custom format, for pg_restore),
# written beside the older ones, which are kept KEEP_DAYS days. Run daily by
# kiosk-central-backup.timer as the postgres user; any libpq setting (PGHOST, PGUSER, …) applies.
#   kiosk-central-backup.sh [DATABASE [FOLDER [KEEP_DAYS]]]   (kiosk_central /var/backups/kiosk-central 14)
set -eu
db=${1:-kiosk_central}
folder=${2:-/var/backups/kiosk-central}
keep=${3:-14}
file="$folder/$db-$(date -u +%Y%m%dT%H%M%SZ).dump"
umask 077
pg_dump --format=custom --file="$file.partial" "$db"
mv "$file.partial" "$file"  # a dump cut short never looks like a backup
find "$folder" -name "$db-*.dump" -mtime +"$keep" -delete
echo "Backed up the database $db to $file."
