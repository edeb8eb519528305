#!/bin/sh
# Make the master key file every Confide replica shares (CONFIDE_MASTER_KEY_FILE), in the
# format Confide writes itself: a key id and 32 random bytes in base64 on one line.
#
#   ./make-master-key.sh secrets/master.key
#
# The file must be readable by the image's user (uid 10001) and by no one else, or Confide
# refuses it. Keep a copy apart from the database backups: without it they cannot be read,
# and whoever has both can read everything.
set -eu
target=${1:?usage: make-master-key.sh PATH}
if [ -e "$target" ]; then
    echo "$target exists: keep it (the data is sealed under that very key)" >&2
    exit 1
fi
umask 077
key_id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
key=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
printf '# Confide master key ring: keep this file secret and backed up.\n%s %s\n' \
    "$key_id" "$key" > "$target"
chmod 0400 "$target"
if ! chown 10001:10001 "$target" 2>/dev/null; then
    echo "now run: sudo chown 10001:10001 $target (the replicas run as uid 10001)" >&2
fi
echo "wrote $target"
