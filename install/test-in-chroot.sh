#!/usr/bin/env bash
# Runs install/raspberry-pi.sh for real in a fresh Debian 12 (bookworm) root made by debootstrap:
# install, install again (nothing may change: every file it writes is checksummed before and
# after, the site config byte for byte), upgrade to a changed checkout, then --uninstall.
# Takes a few minutes (the app's venv is built twice), so it is not part of the test suite.
#   sudo install/test-in-chroot.sh [ROOT]     default ROOT /var/tmp/kiosk-chroot (removed after)
# Needs debootstrap and the network to the Debian mirror and to the Python package index.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "Run as root (sudo)." >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "Install debootstrap first (apt-get install debootstrap)." >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/tmp/kiosk-chroot}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[[ ! -e $root ]] || { echo "$root exists: remove it or name another folder." >&2; exit 1; }

started=$SECONDS
step() { echo; echo "== $* ($((SECONDS - started)) s)"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
trap 'echo "FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
check() { # check DESCRIPTION COMMAND...: runs the command, stops at the first failure
  local what=$1
  shift
  "$@" || fail "$what"
  echo "ok: $what"
}
in_root() { chroot "$root" "$@"; }

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  [[ ${KEEP_ROOT:-0} == 1 ]] || rm -rf --one-file-system "$root"
}
trap cleanup EXIT
bind() { # bind SOURCE [ro]: the host's folder at the same place in the root
  mkdir -p "$root$1"
  mount --bind "$1" "$root$1"
  mounted+=("$root$1")
  [[ ${2:-} != ro ]] || mount -o remount,bind,ro "$root$1"
}

step "debootstrap bookworm (minbase) into $root from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  fail "debootstrap (see $root.debootstrap.log)"
rm -f "$root.debootstrap.log"
for fs in proc sys dev dev/pts; do bind "/$fs"; done
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# pip inside the root uses this machine's package index settings.
[[ -f /etc/pip.conf ]] && cp /etc/pip.conf "$root/etc/pip.conf"
[[ -d /etc/xdg/pip ]] && mkdir -p "$root/etc/xdg" && cp -r /etc/xdg/pip "$root/etc/xdg/"
for dir in /opt/wheels /opt/pypi /opt/pypi-more; do [[ -d $dir ]] && bind "$dir" ro; done
# and this machine's certificate authorities (an index behind a proxy may need its own).
mkdir -p "$root/usr/local/share/kiosk-test"
cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/kiosk-test/host-ca.crt"
# (every variable that names a CA bundle: pip's requests also reads REQUESTS_CA_BUNDLE)
for var in PIP_CERT REQUESTS_CA_BUNDLE SSL_CERT_FILE CURL_CA_BUNDLE; do
  export "$var=/usr/local/share/kiosk-test/host-ca.crt"
done

step "what Raspberry Pi OS has and minbase lacks: systemd, udev; a Pi's cmdline.txt; a desktop"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  systemd systemd-sysv udev >/dev/null
mkdir -p "$root/boot/firmware"
cmdline="console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait"
echo "$cmdline" >"$root/boot/firmware/cmdline.txt"
# Raspberry Pi OS Desktop's display manager, as far as systemd sees it (lightdm itself would
# bring X): graphical.target by default and display-manager.service enabled.
cat >"$root/lib/systemd/system/lightdm.service" <<'EOF'
[Unit]
Description=Light Display Manager (stand-in: the unit only)
[Service]
ExecStart=/bin/true
[Install]
Alias=display-manager.service
EOF
in_root systemctl enable lightdm.service
in_root systemctl set-default graphical.target
# A site config written before the install, and a data file a technician's command left as root.
mkdir -p "$root/etc/kiosk" "$root/var/lib/kiosk"
cat >"$root/etc/kiosk/kiosk.toml" <<'TOML'
# This office's settings (kept byte for byte by the installer)
[device]
id = "lobby-07"
role = "lobby"

[central]
url = "https://localhost:8443"

[panel]
fullscreen = true
rotation = 90
TOML
site_sum=$(sha256sum <"$root/etc/kiosk/kiosk.toml")
echo '{}' >"$root/var/lib/kiosk/written-by-root.json"
mkdir -p "$root/root/kiosk-src"
tar -C "$src" --exclude .git --exclude .venv --exclude __pycache__ --exclude .pytest_cache \
  --exclude .ruff_cache --exclude '*.egg-info' -cf - . | tar -C "$root/root/kiosk-src" -xf -

# Every file the installer writes, with its checksum, mode, owner (and a link's target).
WRITTEN=(/opt/kiosk /usr/local/bin/kiosk /etc/kiosk /var/lib/kiosk /etc/systemd/system /etc/udev/rules.d
  /boot/firmware/cmdline.txt /etc/passwd /etc/group)
manifest() {
  (cd "$root" && for path in "${WRITTEN[@]}"; do
    [[ -e .$path ]] || continue
    find ".$path" \( -type f -o -type l \) -printf '%p %m %U:%G %l\n' | LC_ALL=C sort
    find ".$path" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  done)
}

step "first install"
t=$SECONDS
in_root /root/kiosk-src/install/raspberry-pi.sh
echo "first install: $((SECONDS - t)) s"
check "kiosk.service enabled (multi-user.target.wants)" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/kiosk.service"
check "systemd-time-wait-sync enabled" \
  test -L "$root/etc/systemd/system/sysinit.target.wants/systemd-time-wait-sync.service"
check "the unit verifies clean as installed" in_root systemd-analyze verify kiosk.service
check "/opt/kiosk/current is a release with its venv" test -x "$root/opt/kiosk/current/.venv/bin/kiosk"
check "the installed app reads the site config (the technician's command on the PATH)" \
  in_root runuser -u kiosk -- kiosk check-config
check "the site config is unchanged" test "$(sha256sum <"$root/etc/kiosk/kiosk.toml")" == "$site_sum"
check "/etc/kiosk writable by the kiosk group (the setup screen saves there)" \
  test "$(in_root stat -c %U:%G:%a /etc/kiosk)" == root:kiosk:2775
check "/var/lib/kiosk and what root left there belong to kiosk" \
  test "$(in_root stat -c %U:%G /var/lib/kiosk/written-by-root.json /var/lib/kiosk | sort -u)" == kiosk:kiosk
check "console blanking and cursor off on the kernel command line" \
  grep -qx "$cmdline consoleblank=0 vt.global_cursor_default=0" "$root/boot/firmware/cmdline.txt"
check "no desktop: default target multi-user.target" \
  test "$(in_root systemctl get-default)" == multi-user.target
check "no desktop: the display manager disabled" \
  test ! -e "$root/etc/systemd/system/display-manager.service"
check "no login prompt on tty1" test "$(readlink "$root/etc/systemd/system/getty@tty1.service")" == /dev/null
check "the central server's addresses allowed (drop-in)" \
  grep -q "^IPAddressAllow=.*127.0.0.1" "$root/etc/systemd/system/kiosk.service.d/network.conf"

step "second install of the same checkout: nothing may change"
before=$(manifest)
t=$SECONDS
in_root /root/kiosk-src/install/raspberry-pi.sh
echo "second install: $((SECONDS - t)) s"
after=$(manifest)
check "every file the installer writes is the same ($(grep -c ' ' <<<"$before") lines of checksums and modes)" \
  test "$before" == "$after"

step "upgrade: a changed checkout becomes a new release; data and config kept"
old=$(readlink "$root/opt/kiosk/current")
echo "# upgraded" >>"$root/root/kiosk-src/README.md"
echo "kept" >"$root/var/lib/kiosk/data-kept.txt"
t=$SECONDS
in_root /root/kiosk-src/install/raspberry-pi.sh
echo "upgrade: $((SECONDS - t)) s"
check "current points at a new release" test "$(readlink "$root/opt/kiosk/current")" != "$old"
check "the previous release is kept to go back to" test -d "$root/opt/kiosk/$old"
check "two releases" test "$(find "$root/opt/kiosk/releases" -mindepth 1 -maxdepth 1 | wc -l)" == 2
check "the site config is unchanged" test "$(sha256sum <"$root/etc/kiosk/kiosk.toml")" == "$site_sum"
check "the data is kept" grep -qx kept "$root/var/lib/kiosk/data-kept.txt"

step "--uninstall"
in_root /root/kiosk-src/install/raspberry-pi.sh --uninstall
check "/opt/kiosk and the kiosk command removed" test ! -e "$root/opt/kiosk" -a ! -L "$root/usr/local/bin/kiosk"
check "the units and rules removed" test ! -e "$root/etc/systemd/system/kiosk.service" -a \
  ! -e "$root/etc/systemd/system/kiosk.service.d" -a ! -e "$root/etc/udev/rules.d/99-kiosk-devices.rules" -a \
  ! -e "$root/etc/systemd/system/multi-user.target.wants/kiosk.service"
check "the kernel command line as it was" grep -qx "$cmdline" "$root/boot/firmware/cmdline.txt"
check "the desktop back" test "$(in_root systemctl get-default)" == graphical.target -a \
  -L "$root/etc/systemd/system/display-manager.service"
check "the login prompt on tty1 back" test ! -e "$root/etc/systemd/system/getty@tty1.service"
check "the site config kept byte for byte" test "$(sha256sum <"$root/etc/kiosk/kiosk.toml")" == "$site_sum"
check "the data kept" grep -qx kept "$root/var/lib/kiosk/data-kept.txt"
check "the kiosk user kept" in_root id kiosk

step "--uninstall --purge"
in_root /root/kiosk-src/install/raspberry-pi.sh --uninstall --purge
check "site config, data and user removed" test ! -e "$root/etc/kiosk" -a ! -e "$root/var/lib/kiosk"
check "the kiosk user removed" bash -c "! chroot '$root' id kiosk 2>/dev/null"

# ---------------------------------------------------------------- booted with systemd
if ! command -v systemd-nspawn >/dev/null; then
  echo
  echo "PASSED in $((SECONDS - started)) s, without the booted part (apt-get install"
  echo "systemd-container for it). Not checked: the service starting and reporting ready, the"
  echo "restart and rollback of an upgrade on a running system (tests/test_installer.py proves"
  echo "the rollback's logic), udev, the devices, the sandbox at run time, a real boot."
  exit 0
fi

step "booted: the root's own systemd as PID 1 (systemd-nspawn), the installer run in it"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
mounted=()
binds=()
for dir in /opt/wheels /opt/pypi /opt/pypi-more; do [[ -d $dir ]] && binds+=("--bind-ro=$dir"); done
# No display in a container: the app draws offscreen (test-only drop-in; the unit says kmsdrm).
mkdir -p "$root/etc/systemd/system/kiosk.service.d" "$root/etc/kiosk"
headless=$root/etc/systemd/system/kiosk.service.d/test-headless.conf
printf '[Service]\nEnvironment=SDL_VIDEODRIVER=offscreen\n' >"$headless"
printf '[device]\nid = "lobby-07"\nrole = "lobby"\n\n[panel]\nfullscreen = true\n' \
  >"$root/etc/kiosk/kiosk.toml"
site_sum=$(sha256sum <"$root/etc/kiosk/kiosk.toml")
systemd-nspawn -D "$root" --register=no --keep-unit --boot "${binds[@]}" >"$root.nspawn.log" 2>&1 &
nspawn=$!
leader=
for _ in $(seq 100); do # the container's PID 1 (systemd-nspawn has other children first)
  leader=$(pgrep -P "$nspawn" -x systemd | head -n1) && [[ -n $leader ]] && break
  sleep 0.2
done
[[ -n $leader ]] || fail "systemd-nspawn did not start (see $root.nspawn.log)"
booted() { nsenter -t "$leader" -a -- "$@"; }
stop_container() { # SIGTERM: systemd-nspawn asks the container's systemd to halt
  kill "$nspawn" 2>/dev/null || true
  wait "$nspawn" 2>/dev/null || true
}
trap 'stop_container; cleanup' EXIT
state=
for _ in $(seq 120); do # until its systemd has started the system (or has given up on a unit)
  state=$(booted systemctl is-system-running 2>/dev/null) || true
  [[ $state == running || $state == degraded ]] && break
  sleep 0.5
done
[[ $state == running || $state == degraded ]] || fail "the container's systemd did not start ($state)"
show() { booted systemctl show -P "$1" kiosk.service; }

t=$SECONDS
booted /root/kiosk-src/install/raspberry-pi.sh
echo "install on a running system: $((SECONDS - t)) s"
check "the service runs and reported ready (Type=notify: after the first frame)" \
  test "$(show ActiveState)" == active
# shellcheck disable=SC2016 # expanded inside the container
check "it runs /opt/kiosk/current's kiosk" booted bash -c \
  'tr "\0" " " </proc/"$(systemctl show -P MainPID kiosk)"/cmdline | grep -q "/opt/kiosk/current/.venv/bin/kiosk run"'
check "a second run changes nothing and leaves it running" \
  bash -c "nsenter -t $leader -a -- /root/kiosk-src/install/raspberry-pi.sh | grep -q 'nothing to do'"

step "booted: a configuration error is shown, not restarted; fixed, the kiosk comes back"
pid=$(show MainPID)
printf '\n[printer]\nbaudrate = 12345\n' >>"$root/etc/kiosk/kiosk.toml"
booted systemctl restart kiosk.service
check "ready, with the error in its status" bash -c \
  "nsenter -t $leader -a -- systemctl show -P StatusText kiosk | grep -q '^Configuration error: /etc/kiosk/kiosk.toml: \[printer\] baudrate = 12345'"
errpid=$(show MainPID)
sleep 5 # the time of two restarts under the old unit (RestartSec=2)
check "the same process 5 s later, no restart" test "$(show MainPID)" == "$errpid" -a "$(show NRestarts)" == 0
printf '[device]\nid = "lobby-07"\nrole = "lobby"\n\n[panel]\nfullscreen = true\n' \
  >"$root/etc/kiosk/kiosk.toml"
for _ in $(seq 40); do
  [[ $(show MainPID) != "$errpid" && $(show ActiveState) == active && -z $(show StatusText) ]] && break
  sleep 0.5
done
check "fixed: the kiosk started again by itself" test "$(show ActiveState)" == active -a \
  "$(show MainPID)" != "$errpid" -a "$(show MainPID)" != "$pid" -a -z "$(show StatusText)"

step "booted: without a screen to show it on, exit 2 ends the restarts"
mv "$headless" "$root/root/test-headless.conf" # the unit's kmsdrm, and no /dev/dri here
booted systemctl daemon-reload
printf '\n[printer]\nbaudrate = 12345\n' >>"$root/etc/kiosk/kiosk.toml"
booted systemctl restart kiosk.service || true
sleep 5
check "failed with exit code 2, not restarted" test "$(show ExecMainStatus)" == 2 -a \
  "$(show ActiveState)" == failed -a "$(show NRestarts)" == 0
mv "$root/root/test-headless.conf" "$headless"
booted systemctl daemon-reload
printf '[device]\nid = "lobby-07"\nrole = "lobby"\n\n[panel]\nfullscreen = true\n' \
  >"$root/etc/kiosk/kiosk.toml"
booted systemctl restart kiosk.service

step "booted: an upgrade that does not report ready is rolled back"
good=$(readlink "$root/opt/kiosk/current")
cp -a "$root/root/kiosk-src" "$root/root/kiosk-broken"
echo 'raise RuntimeError("a release that cannot start")' >>"$root/root/kiosk-broken/kiosk/cli/run.py"
t=$SECONDS
rc=0
booted /root/kiosk-broken/install/raspberry-pi.sh --ready-timeout 20 || rc=$?
echo "upgrade and rollback: $((SECONDS - t)) s"
check "the installer says it failed (exit 1)" test "$rc" == 1
check "current points at the good release again" test "$(readlink "$root/opt/kiosk/current")" == "$good"
check "and the good release runs" test "$(show ActiveState)" == active
check "the site config is unchanged" test "$(sha256sum <"$root/etc/kiosk/kiosk.toml")" == "$site_sum"

step "booted: a PC with Debian 12 (GRUB, no cmdline.txt): the kernel arguments in a GRUB drop-in"
mv "$root/boot/firmware/cmdline.txt" "$root/root/cmdline.txt"
mkdir -p "$root/etc/default/grub.d"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' >"$root/etc/default/grub"
booted /root/kiosk-src/install/raspberry-pi.sh
# shellcheck disable=SC2016 # the drop-in's own text, expanded by GRUB's scripts
check "/etc/default/grub.d/kiosk.cfg adds them" grep -qx \
  'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT consoleblank=0 vt.global_cursor_default=0"' \
  "$root/etc/default/grub.d/kiosk.cfg"

step "booted: --uninstall --purge on a running system"
booted /root/kiosk-src/install/raspberry-pi.sh --uninstall --purge
check "the service is gone" bash -c "! nsenter -t $leader -a -- systemctl cat kiosk.service >/dev/null 2>&1"
check "nothing left" test ! -e "$root/opt/kiosk" -a ! -e "$root/etc/kiosk" -a ! -e "$root/var/lib/kiosk"
check "the GRUB drop-in removed" test ! -e "$root/etc/default/grub.d/kiosk.cfg"

rm -f "$root.nspawn.log" # kept when something failed
echo
echo "PASSED in $((SECONDS - started)) s. Not checked here: udev reloading its rules (no udevd in"
echo "a container), the display through KMS/DRM, touch, sound and serial devices, the device"
echo "policy and IP filtering being enforced (they need the host's cgroup support), and a real"
echo "boot of a Pi with the kernel command line."
