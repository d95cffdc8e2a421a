#!/usr/bin/env bash
# Installs, upgrades or removes the kiosk on Raspberry Pi OS Bookworm 64-bit (Lite or Desktop)
# or Debian 12, as the systemd service kiosk.service (docs/install.md).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo install/raspberry-pi.sh [--ready-timeout SECONDS]
       sudo install/raspberry-pi.sh --uninstall [--purge]

Installs the kiosk from this checkout, or upgrades it: each release goes to
/opt/kiosk/releases/<version>-<hash>/ with its own venv, /opt/kiosk/current points at the one
in use. On a running system the service is restarted on the new release and, if it does not
report ready within the timeout (default 120 s), the previous release is put back and
restarted. The last two releases are kept. The site settings (/etc/kiosk/kiosk.toml, written
only when missing) and the device's data (/var/lib/kiosk) are kept as they are. Running it
again with the same checkout changes nothing.

The kiosk boots straight into the app, without a desktop session: it draws through KMS/DRM.
On Raspberry Pi OS Desktop the desktop is turned off (default target multi-user.target,
lightdm disabled) rather than running the app under a kiosk compositor such as cage: one
display path for Lite and Desktop, nothing else drawing on the panel, and --uninstall turns
the desktop back on. Console blanking and the console cursor are turned off on the kernel
command line (/boot/firmware/cmdline.txt, or GRUB on a PC); the panel's rotation and the touch
mapping are site settings ([panel] in /etc/kiosk/kiosk.toml), applied by the app.

Inside a chroot (building an SD-card image) the units are enabled offline and nothing is
started; the service starts at the image's first boot.

  --ready-timeout SECONDS  how long a new release may take to report ready (default 120)
  --uninstall              remove the service, its units and udev rules, /opt/kiosk and the
                           kernel command-line changes; keep /etc/kiosk, /var/lib/kiosk and
                           the kiosk user
  --purge                  with --uninstall: also remove /etc/kiosk, /var/lib/kiosk and the
                           kiosk user
EOF
}

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=install/release.sh
source "$src/install/release.sh"

ETC_SYSTEMD=/etc/systemd/system
STATE_FILE=$KIOSK_HOME/install-state # what the install changed that --uninstall puts back
CMDLINE_ARGS=(consoleblank=0 vt.global_cursor_default=0)
GRUB_DROPIN=/etc/default/grub.d/kiosk.cfg
APT_PACKAGES=(python3 python3-venv python3-dev ca-certificates rsync
  libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri libmtdev1 libgbm1 libdrm2 # Kivy under KMS/DRM
  espeak-ng alsa-utils)                                                 # the hall display's voice
KIOSK_GROUPS=(dialout lp video render input tty audio)

mode=install
purge=0
while (($#)); do
  case $1 in
    --uninstall) mode=uninstall ;;
    --purge) purge=1 ;;
    --ready-timeout)
      [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "--ready-timeout needs a number of seconds." >&2; exit 2; }
      READY_TIMEOUT=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "Unknown option $1 (see --help)." >&2; exit 2 ;;
  esac
  shift
done
((purge == 0)) || [[ $mode == uninstall ]] || { echo "--purge goes with --uninstall." >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "Run as root (sudo)." >&2; exit 1; }

# Booted with systemd (not a chroot, not a container build): units can be reloaded, started
# and waited for. Otherwise they are only enabled, which systemctl does offline.
booted=0
desktop_running=0 # a desktop session on the display now (turned off from the next boot)
if [[ -d /run/systemd/system ]] && ! systemd-detect-virt --chroot --quiet 2>/dev/null; then
  booted=1
fi

# ---------------------------------------------------------------- small idempotent steps

# Copies $1 to $2 with mode $3 unless $2 already holds the same bytes; returns 1 if unchanged.
# (Called in conditions, where set -e does not apply: a failure to write stops the script here.)
put_file() {
  if [[ -f $2 ]] && cmp -s "$1" "$2"; then
    [[ $(stat -c %a "$2") == "${3#0}" ]] && return 1
    chmod "$3" "$2" || exit 1
    return 0
  fi
  install -D -m "$3" "$1" "$2" || { echo "Cannot write $2." >&2; exit 1; }
}

# put_file for text given on stdin (not from a pipe: put_file must be able to stop the script).
put_text() {
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  local rc=0
  put_file "$tmp" "$1" "$2" || rc=$?
  rm -f "$tmp"
  return "$rc"
}

remember() { # key=value in the state file, the first time only
  grep -qs "^$1=" "$STATE_FILE" || echo "$1=$2" >>"$STATE_FILE"
}

recalled() {
  [[ -f $STATE_FILE ]] || return 0
  sed -n "s/^$1=//p" "$STATE_FILE" | head -n1
}

need_apt() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

need_user() {
  id kiosk >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /var/lib/kiosk --shell /usr/sbin/nologin kiosk
  local group
  for group in "${KIOSK_GROUPS[@]}"; do
    getent group "$group" >/dev/null || continue
    id -nG kiosk | tr ' ' '\n' | grep -qx "$group" || usermod -a -G "$group" kiosk
  done
}

# The release id: the app's version and a hash of the checkout's files, so that the same
# checkout installs once and any change makes a new release.
release_id() {
  local version hash
  version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$src/common/version.py")
  hash=$(cd "$src" && find . \( -name .git -o -name .venv -o -name __pycache__ -o \
    -name .pytest_cache -o -name .ruff_cache -o -name '*.egg-info' -o -name .complete \) \
    -prune -o -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  echo "$version-$hash"
}

release_built() {
  [[ -f $KIOSK_HOME/releases/$1/.complete ]]
}

build_release() {
  local id=$1 dir=$KIOSK_HOME/releases/$1
  rm -rf "$dir" # a build cut short (no .complete)
  echo "Building release $id in $dir."
  mkdir -p "$dir"
  rsync -a --exclude .git --exclude .venv --exclude __pycache__ --exclude .pytest_cache \
    --exclude .ruff_cache --exclude '*.egg-info' --exclude .complete "$src/" "$dir/"
  python3 -m venv "$dir/.venv"
  "$dir/.venv/bin/pip" install -q --upgrade pip
  # Editable: the app finds its shipped config/ next to its code (kiosk/paths.py).
  "$dir/.venv/bin/pip" install -q -e "$dir"
  # Compiled now: the service cannot write into /opt (ProtectSystem=strict).
  "$dir/.venv/bin/python" -m compileall -q "$dir"/{apps,central,common,devices,kiosk,screens}
  touch "$dir/.complete"
}

# The first installer put the app straight into /opt/kiosk (with /opt/kiosk/.venv).
remove_flat_layout() {
  [[ -d $KIOSK_HOME/.venv && ! -L $KIOSK_HOME/current ]] || return 0
  echo "Removing the previous installer's layout in $KIOSK_HOME (the app now lives in releases/)."
  find "$KIOSK_HOME" -mindepth 1 -maxdepth 1 ! -name releases ! -name install-state \
    -exec rm -rf {} +
}

# /etc/kiosk: root's, and writable by the kiosk group, for the setup screen to save the site's
# settings (a device never provisioned starts it: the file sets no [device] role yet).
write_site_config() {
  install -d -o root -g kiosk -m 2775 /etc/kiosk
  [[ -f /etc/kiosk/kiosk.toml ]] && return 0
  (umask 022 && cat >/etc/kiosk/kiosk.toml) <<'TOML'
# Site settings: only the keys that differ from /opt/kiosk/current/config/kiosk.toml.
# Until [device] names a role, the kiosk starts on its setup screen (or: kiosk provision).
[printer]
url = "/dev/kiosk-printer"     # the udev rules' name (systemd/99-kiosk-devices.rules)

[panel]
fullscreen = true
# rotation = 0                 # 0 | 90 | 180 | 270: the panel mounted turned (docs/install.md)
TOML
  echo "Wrote /etc/kiosk/kiosk.toml: the device is provisioned on its setup screen or with" \
    "kiosk provision."
}

# The device's data belongs to the service user, also what a technician's command run as root
# left there.
own_data() {
  install -d -o kiosk -g kiosk -m 0700 /var/lib/kiosk
  find /var/lib/kiosk \( ! -user kiosk -o ! -group kiosk \) -exec chown kiosk:kiosk {} +
}

# IPAddressAllow= needs addresses: those of the central server (site config, else the
# enrolment) and of the DNS servers (/etc/resolv.conf), to find it again at run time.
network_dropin() {
  local url host addresses
  url=$(python3 - <<'PY'
import json, tomllib
url = ""
try:
    with open("/etc/kiosk/kiosk.toml", "rb") as f:
        url = tomllib.load(f).get("central", {}).get("url", "")
except (OSError, ValueError):
    pass
if not url:
    try:
        with open("/var/lib/kiosk/central.json") as f:
            url = json.load(f).get("api_url", "")
    except (OSError, ValueError):
        pass
print(url if isinstance(url, str) else "")
PY
)
  host=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$url")
  echo "# Written by install/raspberry-pi.sh from the central server's address; run it again"
  echo "# when that address changes."
  echo "[Service]"
  if [[ -z $host ]]; then
    echo "# No central server configured yet: only this machine and the office LAN."
    return 0
  fi
  addresses=$(getent ahosts "$host" | awk '{print $1}' | sort -u | tr '\n' ' ')
  if [[ -z $addresses ]]; then
    echo "Warning: $host does not resolve now; the kiosk may reach any address until the" \
      "installer runs again with it resolvable." >&2
    echo "# $host did not resolve at install time: no limit on addresses."
    echo "IPAddressAllow=any"
    return 0
  fi
  echo "# $host"
  echo "IPAddressAllow=${addresses% }"
  local dns
  dns=$(awk '$1 == "nameserver" {print $2}' /etc/resolv.conf 2>/dev/null | tr '\n' ' ')
  [[ -n $dns ]] && echo "# DNS servers (/etc/resolv.conf)" && echo "IPAddressAllow=${dns% }"
  return 0
}

# consoleblank=0 vt.global_cursor_default=0 on the kernel command line.
cmdline_file() {
  local f
  for f in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    [[ -f $f ]] && { echo "$f"; return 0; }
  done
  return 1
}

replace_line() { # $1 file of one line (cmdline.txt), $2 its new line: written, then renamed
  printf '%s\n' "$2" >"$1.kiosk-new" || exit 1
  mv "$1.kiosk-new" "$1" || exit 1
}

kernel_args_on() {
  local file line arg
  if file=$(cmdline_file); then
    line=$(head -n1 "$file")
    for arg in "${CMDLINE_ARGS[@]}"; do
      [[ " $line " == *" $arg "* ]] || line="$line $arg"
    done
    if [[ $line != "$(head -n1 "$file")" ]]; then
      replace_line "$file" "$line"
      echo "Kernel command line ($file): ${CMDLINE_ARGS[*]} (from the next boot)."
    fi
  elif [[ -d /etc/default/grub.d || -f /etc/default/grub ]]; then
    put_text "$GRUB_DROPIN" 0644 <<EOF && command -v update-grub >/dev/null && update-grub
# Written by install/raspberry-pi.sh: no console blanking, no console cursor over the kiosk.
GRUB_CMDLINE_LINUX_DEFAULT="\$GRUB_CMDLINE_LINUX_DEFAULT ${CMDLINE_ARGS[*]}"
EOF
  else
    echo "Warning: no /boot/firmware/cmdline.txt and no GRUB: add ${CMDLINE_ARGS[*]} to the" \
      "kernel command line yourself." >&2
  fi
  return 0
}

kernel_args_off() {
  local file line arg
  if file=$(cmdline_file); then
    line=" $(head -n1 "$file") "
    for arg in "${CMDLINE_ARGS[@]}"; do
      line=${line// $arg / }
    done
    line=${line# }
    line=${line% }
    [[ $line == "$(head -n1 "$file")" ]] || replace_line "$file" "$line"
  fi
  if [[ -f $GRUB_DROPIN ]]; then
    rm -f "$GRUB_DROPIN"
    command -v update-grub >/dev/null && update-grub
  fi
  return 0
}

# Raspberry Pi OS Desktop: no desktop session; the app owns the display.
desktop_off() {
  local target
  target=$(systemctl get-default 2>/dev/null || true)
  if [[ $target == graphical.target ]]; then
    remember default_target graphical.target
    systemctl set-default multi-user.target
  fi
  if [[ -L $ETC_SYSTEMD/display-manager.service ]]; then # lightdm on Raspberry Pi OS Desktop
    local dm
    dm=$(basename "$(readlink -f "$ETC_SYSTEMD/display-manager.service")")
    remember display_manager "$dm"
    systemctl disable "$dm"
    # Not stopped from here: this may be running in a terminal on that desktop.
    if ((booted)) && systemctl is-active --quiet "$dm"; then
      desktop_running=1
    fi
  fi
  return 0
}

desktop_back() {
  local target dm
  target=$(recalled default_target)
  [[ -n $target ]] && systemctl set-default "$target"
  dm=$(recalled display_manager)
  [[ -n $dm ]] && systemctl enable "$dm"
  return 0
}

udev_running() { # (not in a chroot or a container)
  ((booted)) && udevadm control --ping 2>/dev/null
}

enable_unit() { # $1 unit
  systemctl is-enabled --quiet "$1" 2>/dev/null || systemctl enable "$1"
}

# ---------------------------------------------------------------- install and uninstall

install_kiosk() {
  need_apt
  need_user
  install -d -m 0755 "$KIOSK_HOME/releases"
  remove_flat_layout
  write_site_config
  own_data
  local id units_changed=0
  id=$(release_id)
  if release_built "$id"; then
    echo "Release $id is already built."
  else
    build_release "$id"
  fi

  put_file "$src/systemd/kiosk.service" "$ETC_SYSTEMD/kiosk.service" 0644 && units_changed=1
  put_text "$ETC_SYSTEMD/kiosk.service.d/network.conf" 0644 < <(network_dropin) && units_changed=1
  if put_file "$src/systemd/99-kiosk-devices.rules" /etc/udev/rules.d/99-kiosk-devices.rules 0644 &&
    udev_running; then
    udevadm control --reload-rules && udevadm trigger
  fi
  # Wait (at most 60 s) for the clock to be synchronised before the kiosk starts: no RTC.
  if [[ -f /lib/systemd/system/systemd-time-wait-sync.service ]]; then
    put_file "$src/systemd/time-wait-sync-limit.conf" \
      "$ETC_SYSTEMD/systemd-time-wait-sync.service.d/limit.conf" 0644 && units_changed=1
    systemctl is-enabled --quiet systemd-time-wait-sync.service 2>/dev/null ||
      { remember time_wait_sync enabled; systemctl enable systemd-time-wait-sync.service; }
  fi
  # The app draws on tty1's display and reads the keyboard (a scanner may be one): no login
  # prompt under it.
  [[ -L $ETC_SYSTEMD/getty@tty1.service ]] || systemctl mask getty@tty1.service
  desktop_off
  kernel_args_on
  enable_unit kiosk.service
  # The technician's commands: sudo -u kiosk kiosk check-config, ...
  [[ $(readlink /usr/local/bin/kiosk) == "$KIOSK_HOME/current/.venv/bin/kiosk" ]] ||
    ln -sfn "$KIOSK_HOME/current/.venv/bin/kiosk" /usr/local/bin/kiosk

  if ((!booted || desktop_running)); then
    point_current_at "$id"
    prune_releases
    if ((desktop_running)); then
      echo "Installed release $id. The desktop still holds the display: reboot, and the kiosk" \
        "starts without it."
    else
      echo "Installed release $id without starting it (not booted with systemd, e.g. a" \
        "chroot): kiosk.service starts at the next boot."
    fi
    return 0
  fi
  ((units_changed)) && systemctl daemon-reload
  if [[ $(current_release) == "$id" ]] && systemctl is-active --quiet kiosk.service; then
    echo "Release $id is installed and running: nothing to do."
    return 0
  fi
  activate_release "$id"
  echo "Installed. Site settings: /etc/kiosk/kiosk.toml (check them with" \
    "sudo -u kiosk kiosk check-config); logs: journalctl -u kiosk -f"
}

uninstall_kiosk() {
  if ((booted)); then
    systemctl stop kiosk.service 2>/dev/null || true
  fi
  systemctl disable kiosk.service 2>/dev/null || true
  rm -rf "$ETC_SYSTEMD/kiosk.service" "$ETC_SYSTEMD/kiosk.service.d"
  rm -f /etc/udev/rules.d/99-kiosk-devices.rules
  rm -f "$ETC_SYSTEMD/systemd-time-wait-sync.service.d/limit.conf"
  rmdir "$ETC_SYSTEMD/systemd-time-wait-sync.service.d" 2>/dev/null || true
  [[ $(recalled time_wait_sync) == enabled ]] && systemctl disable systemd-time-wait-sync.service
  [[ $(readlink "$ETC_SYSTEMD/getty@tty1.service" 2>/dev/null) == /dev/null ]] &&
    systemctl unmask getty@tty1.service
  desktop_back
  kernel_args_off
  [[ $(readlink /usr/local/bin/kiosk) == "$KIOSK_HOME/current/.venv/bin/kiosk" ]] &&
    rm -f /usr/local/bin/kiosk
  rm -rf "${KIOSK_HOME:?}"
  if ((purge)); then
    rm -rf /etc/kiosk /var/lib/kiosk
    id kiosk >/dev/null 2>&1 && userdel kiosk
    echo "Removed the kiosk, its site settings (/etc/kiosk), its data (/var/lib/kiosk) and the" \
      "kiosk user."
  else
    echo "Removed the kiosk; kept /etc/kiosk, /var/lib/kiosk and the kiosk user" \
      "(--uninstall --purge removes them)."
  fi
  ((booted)) && systemctl daemon-reload
  udev_running && udevadm control --reload-rules
  return 0
}

if [[ $mode == uninstall ]]; then
  uninstall_kiosk
else
  install_kiosk
fi
