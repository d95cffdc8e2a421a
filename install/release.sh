# shellcheck shell=bash
# Releases of the kiosk app side by side, sourced by install/raspberry-pi.sh (and by
# tests/test_installer.py, which replaces restart_service and service_ready to prove the
# rollback without systemd).
#
#   $KIOSK_HOME/releases/<id>/   one release: the source tree and its own .venv
#   $KIOSK_HOME/current          symlink to the release in use (kiosk.service runs
#                                $KIOSK_HOME/current/.venv/bin/kiosk)
#
# activate_release switches `current` to a new release and restarts the service; if the service
# does not report ready in time it switches back and restarts the previous release.
# Only the release in use and the one before it are kept.

KIOSK_HOME=${KIOSK_HOME:-/opt/kiosk}
KIOSK_UNIT=${KIOSK_UNIT:-kiosk.service}
READY_TIMEOUT=${READY_TIMEOUT:-120}

# The release `current` points at (its folder name), or nothing.
current_release() {
  local target
  target=$(readlink "$KIOSK_HOME/current" 2>/dev/null) || return 0
  basename "$target"
}

# Points `current` at releases/$1 in one rename, so that the unit never sees it missing.
point_current_at() {
  ln -sfn "releases/$1" "$KIOSK_HOME/current.new"
  mv -T "$KIOSK_HOME/current.new" "$KIOSK_HOME/current"
}

restart_service() {
  systemctl restart --no-block "$KIOSK_UNIT"
}

# Ready: the unit is active (Type=notify: the app sent READY=1 after its first frame) and is not
# showing a configuration error or a storage fault (kiosk run's error screen says so in its
# STATUS=).
service_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) state status
  while ((SECONDS < deadline)); do
    state=$(systemctl show -P ActiveState "$KIOSK_UNIT")
    status=$(systemctl show -P StatusText "$KIOSK_UNIT")
    if [[ $state == active && $status != "Configuration error"* && $status != "Storage fault"* ]]; then
      return 0
    fi
    [[ $state == failed ]] && return 1
    sleep 1
  done
  return 1
}

# Switches to releases/$1, restarts and waits for ready; on failure switches back to the
# previous release (if any), restarts it and returns 1.
activate_release() {
  local new=$1 previous
  previous=$(current_release)
  point_current_at "$new"
  echo "Starting release $new (waiting up to ${READY_TIMEOUT} s for it to report ready)."
  restart_service
  if service_ready; then
    echo "Release $new is running."
    prune_releases
    return 0
  fi
  if [[ -z $previous || $previous == "$new" ]]; then
    echo "Release $new did not report ready and there is no previous release to go back to;" \
      "see: journalctl -u $KIOSK_UNIT" >&2
    return 1
  fi
  echo "Release $new did not report ready; going back to release $previous" \
    "(see: journalctl -u $KIOSK_UNIT)." >&2
  point_current_at "$previous"
  restart_service
  service_ready || echo "Release $previous did not report ready either." >&2
  return 1
}

# Keeps the release in use and the newest other one (the one to go back to); removes the rest.
prune_releases() {
  local keep current release
  current=$(current_release)
  keep=0
  # Newest first, by when each was made (the .complete mark written at the end of its build);
  # release names are <version>-<hash>, no blanks.
  # shellcheck disable=SC2012
  while read -r release; do
    [[ -z $release || $release == "$current" ]] && continue
    if ((keep < 1)); then
      keep=1
      continue
    fi
    echo "Removing old release $release."
    rm -rf "${KIOSK_HOME:?}/releases/$release"
  done < <(cd "$KIOSK_HOME/releases" && ls -1t -d -- */.complete 2>/dev/null |
    sed 's#/\.complete$##')
}
