# Functions of the control plane's timers (its bootstrap alone installs any).
# Definitions only.

# install_timer NAME SERVICE_DESCRIPTION TIMER_DESCRIPTION FIRST EVERY [JITTER [SERVICE_SETTINGS]]
# Runs /usr/local/sbin/NAME as a oneshot service after the kubelet and the
# network: first FIRST after boot, then EVERY after each run (systemd time
# spans: 10min, 12h), each delayed by up to JITTER when given. SERVICE_SETTINGS
# are extra [Service] lines (newline-separated). Writes NAME.service and
# NAME.timer, reloads systemd and enables and starts the timer.
install_timer() {
  local name="$1" service_description="$2" timer_description="$3" first="$4" every="$5"
  local jitter="${6:-}" service_settings="${7:-}"
  [ -z "${jitter}" ] || jitter="RandomizedDelaySec=${jitter}"$'\n'
  [ -z "${service_settings}" ] || service_settings="${service_settings}"$'\n'
  cat >"/etc/systemd/system/${name}.service" <<UNIT
[Unit]
Description=${service_description}
After=kubelet.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
${service_settings}ExecStart=/usr/local/sbin/${name}
UNIT
  cat >"/etc/systemd/system/${name}.timer" <<UNIT
[Unit]
Description=${timer_description}

[Timer]
OnActiveSec=${first}
OnUnitActiveSec=${every}
${jitter}
[Install]
WantedBy=timers.target
UNIT
  systemctl daemon-reload
  systemctl enable --now "${name}.timer"
}
