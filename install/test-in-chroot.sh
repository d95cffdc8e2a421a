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

echo
echo "PASSED in $((SECONDS - started)) s. Not checked in a chroot (no systemd running): the"
echo "service starting and reporting ready, the restart and rollback of an upgrade (proven by"
echo "tests/test_installer.py), udev reloading its rules, the display, touch, sound and serial"
echo "devices, the sandbox at run time, and a real boot with the kernel command line."
