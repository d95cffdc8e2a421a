#!/usr/bin/env bash
# Installs the kiosk on Raspberry Pi OS (64-bit, bookworm) or Debian 12 as a systemd service.
#   sudo install/raspberry-pi.sh            install or upgrade from this checkout
# Afterwards: put site settings in /etc/kiosk/kiosk.toml (see README, "Configuration"),
# check them with `sudo -u kiosk /opt/kiosk/.venv/bin/kiosk check-config`, then
# `systemctl restart kiosk`.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "Run as root (sudo)." >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
dest=/opt/kiosk

APT_PACKAGES=(python3 python3-venv python3-dev libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri
              libmtdev1 libgbm1 libdrm2 rsync
              espeak-ng alsa-utils)   # the hall display's voice and its sound output (aplay)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}"

id kiosk >/dev/null 2>&1 || useradd --system --home-dir /var/lib/kiosk --shell /usr/sbin/nologin kiosk
usermod -a -G dialout,lp,video,render,input,tty,audio kiosk  # audio: the hall display's aplay

mkdir -p "$dest" /etc/kiosk
rsync -a --delete --exclude .venv --exclude .git "$src/" "$dest/"
python3 -m venv "$dest/.venv"
"$dest/.venv/bin/pip" install -q --upgrade pip
"$dest/.venv/bin/pip" install -q -e "$dest"

if [[ ! -f /etc/kiosk/kiosk.toml ]]; then
  cat > /etc/kiosk/kiosk.toml <<'TOML'
# Site settings: only the keys that differ from /opt/kiosk/config/kiosk.toml.
[device]
id = "lobby-01"
role = "lobby"

[printer]
url = "/dev/kiosk-printer"

[panel]
fullscreen = true
TOML
fi
chmod 0755 /etc/kiosk

install -m 0644 "$dest/systemd/kiosk.service" /etc/systemd/system/kiosk.service
install -m 0644 "$dest/systemd/99-kiosk-devices.rules" /etc/udev/rules.d/99-kiosk-devices.rules
udevadm control --reload-rules && udevadm trigger
# Wait (at most 60 s) for the clock to be synchronised before the kiosk starts: no RTC.
if systemctl cat systemd-time-wait-sync.service >/dev/null 2>&1; then
  install -d /etc/systemd/system/systemd-time-wait-sync.service.d
  install -m 0644 "$dest/systemd/time-wait-sync-limit.conf" \
    /etc/systemd/system/systemd-time-wait-sync.service.d/limit.conf
  systemctl enable systemd-time-wait-sync.service
fi
systemctl daemon-reload
systemctl enable kiosk.service
echo "Installed. Edit /etc/kiosk/kiosk.toml, then: systemctl restart kiosk; journalctl -u kiosk -f"
