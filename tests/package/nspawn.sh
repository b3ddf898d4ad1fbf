# tests/package/nspawn.sh: the package under a real systemd, for
# tests/package/run, which sources it and calls nspawn_run: a minimal
# Debian (mmdebstrap, cached) booted with systemd-nspawn in a network
# namespace of its own, driven with nsenter. In it: install, start, echo,
# systemctl status and the journal (each line once, at its level),
# systemctl reload, the upgrade of the package in place under load, the
# watchdog, systemd-analyze security of the unit and of its socket-activated
# variant, stop, and an upgrade that starts nothing that was stopped.
#
# Uses from run: check pass fail note show wait_for alive children,
# $work $helpers $deb1 $deb2 $v1_version $v2_version $MAX_EXPOSURE.

# Functions run from traps and through check(), on run's variables, which
# the linter cannot see.
# shellcheck shell=bash disable=SC2317,SC2154,SC2034,SC2016

# The tree is cached here, one per package list, and booted read-only under
# a tmpfs overlay (--volatile=overlay): a run never changes it. Delete the
# directory to rebuild it.
NSPAWN_CACHE=${ECHOD_NSPAWN_CACHE:-/var/cache/echod-test}
NSPAWN_SUITE=bookworm
# echod's Depends (adduser, libconfig9) too: the container has no network.
NSPAWN_INCLUDE=systemd,systemd-sysv,dbus,adduser,libconfig9
# A ratchet like MAX_EXPOSURE: echod.service with socket-activation.conf.
MAX_EXPOSURE_SOCKET=1.2

nspawn_pid=""
ct_pid=""
nspawn_mounted=false

# ct COMMAND...: run COMMAND in the container (every namespace), bounded.
ct() {
	timeout 120 nsenter -t "$ct_pid" -a env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_COLORS=0 \
	    "$@"
}

# ct_net COMMAND...: a command of this machine in the container's network
# namespace alone: its loopback, where the container's echod listens.
ct_net() {
	timeout -k 10 400 nsenter -t "$ct_pid" -n "$@"
}

# ct_echo MODE HOST PORT WHEN: one echo_client.py exchange, one check.
ct_echo() {
	ct_net python3 "$helpers/echo_client.py" "$1" "$2" "$3" \
	    >"$work/ct-echo.out" 2>&1
	check "(nspawn) $1 echo on [$2]:$3 $4" test $? -eq 0
	[ -s "$work/ct-echo.out" ] && sed 's/^/     /' "$work/ct-echo.out"
	return 0
}

ct_echo_all() {
	local host proto
	for proto in tcp udp; do
		for host in 127.0.0.1 ::1; do
			ct_echo "$proto" "$host" 7 "$1"
		done
	done
}

ct_prop() {
	ct systemctl show -p "$1" --value "${2:-echod.service}"
}

ct_journal() {
	ct journalctl -u echod --no-pager -o cat "$@"
}

# ct_score UNIT: systemd-analyze security's overall exposure of UNIT.
ct_score() {
	ct systemd-analyze security --no-pager "$1" 2>/dev/null | sed -n \
	    's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

# at_most SCORE MAX
at_most() {
	awk -v s="${1:-99}" -v m="$2" 'BEGIN { exit !(s <= m) }'
}

# nspawn_tree: the cached tree, built with mmdebstrap on first use.
nspawn_tree() {
	local sources=/etc/apt/sources.list.d/debian.sources rc t0=$SECONDS
	tree=$NSPAWN_CACHE/$NSPAWN_SUITE-$(echo "$NSPAWN_INCLUDE" |
	    md5sum | cut -c1-8)
	if [ -f "$tree.complete" ] && [ -x "$tree/lib/systemd/systemd" ]; then
		note "nspawn: reusing $tree"
		return 0
	fi
	[ -f "$sources" ] || sources=/etc/apt/sources.list
	[ -f "$sources" ] || sources=""
	note "nspawn: mmdebstrap $NSPAWN_SUITE into $tree (log: $work/mmdebstrap.log)"
	mkdir -p "$NSPAWN_CACHE" && rm -rf "$tree" "$tree.complete" "$tree.new"
	timeout 300 mmdebstrap --variant=minbase --include="$NSPAWN_INCLUDE" \
	    "$NSPAWN_SUITE" "$tree.new" ${sources:+"$sources"} \
	    >"$work/mmdebstrap.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		# Most likely the mirrors cannot be reached: say so.
		fail "(nspawn) mmdebstrap $NSPAWN_SUITE failed (exit $rc, $((SECONDS - t0)) s): $(grep -E '^(E|W): ' "$work/mmdebstrap.log" | head -n 2 | tr '\n' ' ')"
		show "$work/mmdebstrap.log" 20
		rm -rf "$tree.new"
		return 1
	fi
	mv "$tree.new" "$tree" && touch "$tree.complete"
	pass "(nspawn) mmdebstrap built the tree in $((SECONDS - t0)) s"
}

# nspawn_boot: boot the tree; set ct_pid to the container's systemd.
nspawn_boot() {
	local t0=$SECONDS
	mkdir -p /run/systemd/nspawn "$work/debs"
	# nspawn cleans up under /run/systemd/nspawn and refuses where /run
	# is not a tmpfs.
	if ! mountpoint -q /run/systemd/nspawn; then
		mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn ||
		    return 1
		nspawn_mounted=true
	fi
	cp "$deb1" "$work/debs/v1.deb" && cp "$deb2" "$work/debs/v2.deb" ||
	    return 1
	systemd-nspawn -D "$tree" --volatile=overlay --register=no \
	    --keep-unit --private-network -M echod-pkgtest \
	    --bind-ro="$work/debs:/debs" -b </dev/null >"$work/nspawn.log" 2>&1 &
	nspawn_pid=$!
	wait_for 30 eval 'ct_pid=$(children "$nspawn_pid" | head -n 1);
	    [ -n "$ct_pid" ]' || return 1
	# degraded is booted too: a container lacks some of what a machine has.
	timeout 90 nsenter -t "$ct_pid" -a systemctl is-system-running --wait \
	    >"$work/ct-boot.out" 2>&1
	grep -qx -e running -e degraded "$work/ct-boot.out" || return 1
	pass "(nspawn) $NSPAWN_SUITE booted under systemd-nspawn in $((SECONDS - t0)) s ($(ct systemctl --version | head -n 1))"
}

nspawn_teardown() {
	if [ -n "$nspawn_pid" ]; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$nspawn_pid" 2>/dev/null
		if ! wait_for 20 eval "! alive $nspawn_pid"; then
			kill -KILL "$nspawn_pid" 2>/dev/null
		fi
		wait "$nspawn_pid" 2>/dev/null
		nspawn_pid=""
		ct_pid=""
	fi
	if $nspawn_mounted; then
		umount /run/systemd/nspawn 2>/dev/null ||
		    umount -l /run/systemd/nspawn
		nspawn_mounted=false
	fi
}

# The journal, systemctl status and the container's console after a FAIL.
nspawn_show() {
	[ -n "$ct_pid" ] || { show "$work/nspawn.log" 30; return 0; }
	ct systemctl status echod --no-pager >"$work/ct-status.out" 2>&1
	show "$work/ct-status.out" 20
	ct journalctl -u echod -u echod.socket --no-pager -o short-monotonic \
	    >"$work/ct-journal.out" 2>&1
	show "$work/ct-journal.out" 40
}

# ct_journal_once: each message once, its <N> prefix taken as its level.
ct_journal_once() {
	ct_journal >"$work/ct-journal.txt" 2>&1
	check "(nspawn) the journal has \"listening on tcp 0.0.0.0:7\" once ($(grep -cx 'listening on tcp 0\.0\.0\.0:7' "$work/ct-journal.txt"))" \
	    test "$(grep -cx 'listening on tcp 0\.0\.0\.0:7' "$work/ct-journal.txt")" -eq 1
	check "(nspawn) no journal line repeats the one before it" \
	    test -z "$(uniq -d "$work/ct-journal.txt")"
	# "echod: " is stderr's prefix outside the journal; ExecStartPre's
	# echod -t prints its verdict to stdout with it.
	check "(nspawn) no journal line keeps a <N> or \"echod: \" prefix" \
	    eval "! grep -E '^(<[0-9]+>|echod: )' '$work/ct-journal.txt' |
	    grep -qv '^echod: configuration file .* test is successful\$'"
	ct_journal -p notice >"$work/ct-journal-notice.txt" 2>&1
	check "(nspawn) the journal has echod's levels: \"listening on\" at notice, \"(generation 1): started\" below" \
	    eval "grep -q 'listening on tcp' '$work/ct-journal-notice.txt' &&
	    grep -q '(generation 1): started' '$work/ct-journal.txt' &&
	    ! grep -q '(generation 1): started' '$work/ct-journal-notice.txt'"
}

# ct_upgrade_under_load MAIN_PID: dpkg -i v2 while churn.py runs.
ct_upgrade_under_load() {
	local main=$1 churn dpkg rc t0
	# exec: $! must be the process that SIGTERM stops, not a subshell.
	(exec timeout -k 10 400 nsenter -t "$ct_pid" -n python3 \
	    "$helpers/churn.py" 127.0.0.1 7 50 4 300) >"$work/ct-churn.log" 2>&1 &
	churn=$!
	churn_pid=$churn
	wait_for 30 grep -qx ready "$work/ct-churn.log" ||
	    fail "(nspawn) churn.py: 50 persistent connections echo within 30 s"
	t0=$SECONDS
	ct dpkg -i --force-confdef --force-confold /debs/v2.deb \
	    >"$work/ct-upgrade.log" 2>&1 &
	dpkg=$!
	check "(nspawn) echod logged \"upgrade complete: echod ${v2_version%%-*}\"" \
	    wait_for 110 eval "ct_journal | grep -q 'upgrade complete: echod ${v2_version%%-*} '"
	# Closed by the clients before the old workers' shutdown_timeout
	# (10 s) after the upgrade, as in run; a second on the new workers.
	sleep 1
	kill -TERM "$churn" 2>/dev/null
	wait "$churn"
	rc=$?
	churn_pid=""
	check "(nspawn) $(tail -n 1 "$work/ct-churn.log")" test "$rc" -eq 0
	[ "$rc" -ne 0 ] && show "$work/ct-churn.log" 15
	wait "$dpkg"
	rc=$?
	check "(nspawn) dpkg -i $v2_version over the running service (exit $rc, $((SECONDS - t0)) s)" \
	    test "$rc" -eq 0
	[ "$rc" -ne 0 ] && show "$work/ct-upgrade.log"
	check "(nspawn) echod.service is active, MainPID still $main, NRestarts=0" \
	    test "$(ct_prop ActiveState) $(ct_prop MainPID) $(ct_prop NRestarts)" = "active $main 0"
	check "(nspawn) the master runs the new /usr/sbin/echod ($(ct readlink "/proc/$main/exe"))" \
	    test "$(ct readlink "/proc/$main/exe")" = /usr/sbin/echod
	check "(nspawn) echod -s status: $v2_version serves, master pid $main" \
	    eval "ct /usr/sbin/echod -s status | head -n 1 |
	    grep -q '^echod ${v2_version%%-*}, master pid $main,'"
	return 0
}

# ct_watchdog MAIN_PID: WatchdogSec=30 is armed, and the master, fed by its
# workers' heartbeats, outlives it unkilled.
ct_watchdog() {
	local since up
	check "(nspawn) systemctl show -p WatchdogUSec: $(ct_prop WatchdogUSec)" \
	    test "$(ct_prop WatchdogUSec)" = 30s
	since=$(ct_prop ExecMainStartTimestampMonotonic)
	up=$(( ($(ct cat /proc/uptime | cut -d. -f1) * 1000000 - ${since:-0}) / 1000000 ))
	# Up to 35 s, so that a missed ping would have been a kill by now.
	if [ "$up" -lt 35 ]; then
		note "nspawn: waiting $((35 - up)) s for the watchdog's 30 s to pass"
		sleep $((35 - up))
		up=35
	fi
	check "(nspawn) after ${up} s (WatchdogSec=30) echod.service runs, MainPID $1, NRestarts=0" \
	    test "$(ct_prop ActiveState) $(ct_prop MainPID) $(ct_prop NRestarts)" = "active $1 0"
}

# ct_socket_activation: echod.socket and the shipped drop-in; the score,
# echo, an upgrade in place with passed sockets; then back to the default.
ct_socket_activation() {
	local score rc ex=/usr/share/doc/echod/examples/socket-activation.conf
	ct sh -c "mkdir -p /etc/systemd/system/echod.service.d &&
	    { cat $ex 2>/dev/null || zcat $ex.gz; } \
	    >/etc/systemd/system/echod.service.d/socket-activation.conf &&
	    systemctl daemon-reload && systemctl stop echod &&
	    systemctl enable --now echod.socket && systemctl start echod" \
	    >"$work/ct-socket.log" 2>&1
	check "(nspawn) socket activation: echod.socket enabled, echod restarted with the drop-in" \
	    test $? -eq 0 -a "$(ct_prop ActiveState)" = active
	[ "$(ct_prop ActiveState)" = active ] || { show "$work/ct-socket.log"; return 0; }
	check "(nspawn) socket activation: \"listening on tcp 0.0.0.0:7 (passed by systemd)\"" \
	    eval "ct_journal | grep -qx 'listening on tcp 0\\.0\\.0\\.0:7 (passed by systemd)'"
	ct_echo tcp 127.0.0.1 7 "(socket activation)"
	ct_echo udp ::1 7 "(socket activation)"
	score=$(ct_score echod.service)
	check "(nspawn) systemd-analyze security, socket-activated: ${score:-?} (at most $MAX_EXPOSURE_SOCKET)" \
	    at_most "$score" "$MAX_EXPOSURE_SOCKET"
	ct /usr/sbin/echod -s upgrade >"$work/ct-socket-upgrade.log" 2>&1
	rc=$?
	check "(nspawn) socket activation: echod -s upgrade keeps the passed sockets (exit $rc)" \
	    test "$rc $(ct_prop ActiveState) $(ct_prop NRestarts)" = "0 active 0"
	ct_echo tcp 127.0.0.1 7 "(socket activation, after echod -s upgrade)"
	ct sh -c 'systemctl disable --now echod.socket &&
	    systemctl stop echod.service &&
	    rm -r /etc/systemd/system/echod.service.d &&
	    systemctl daemon-reload' >>"$work/ct-socket.log" 2>&1
	check "(nspawn) socket activation undone: echod.socket and echod.service stopped" \
	    test "$(ct_prop ActiveState echod.socket) $(ct_prop ActiveState)" = "inactive inactive"
}

nspawn_checks() {
	local main score rc
	ct dpkg -i /debs/v1.deb >"$work/ct-install.log" 2>&1
	rc=$?
	check "(nspawn) dpkg -i $v1_version (exit $rc)" test "$rc" -eq 0
	[ "$rc" -ne 0 ] && { show "$work/ct-install.log"; return 1; }
	check "(nspawn) postinst started echod.service" \
	    wait_for 20 eval 'ct systemctl -q is-active echod'
	main=$(ct_prop MainPID)
	ct_echo_all "(echod.service)"
	ct systemctl status --no-pager -n 0 echod >"$work/ct-status.out" 2>&1
	sed 's/^/     | /' "$work/ct-status.out"
	check "(nspawn) systemctl status: active (running), echod's status of generation 1" \
	    eval "grep -q 'Active: active (running)' '$work/ct-status.out' &&
	    grep -Eq 'Status: \"(serving )?generation 1' '$work/ct-status.out'"
	ct_journal_once
	score=$(ct_score echod.service)
	check "(nspawn) systemd-analyze security echod: ${score:-?} (at most $MAX_EXPOSURE)" \
	    at_most "$score" "$MAX_EXPOSURE"

	ct systemctl reload echod >"$work/ct-reload.log" 2>&1
	rc=$?
	check "(nspawn) systemctl reload echod (exit $rc; /bin/kill: $(ct sh -c 'test -e /bin/kill && echo present || echo absent'))" \
	    eval "[ $rc -eq 0 ] && [ \$(ct_prop ActiveState) = active ] &&
	    ct_journal | grep -q 'reload complete'"
	[ "$rc" -ne 0 ] && show "$work/ct-reload.log"
	ct_echo tcp 127.0.0.1 7 "(after systemctl reload)"

	ct_upgrade_under_load "$main"
	ct_echo_all "(after the upgrade in place)"
	ct_watchdog "$main"

	ct_socket_activation

	# Stopped before: the next upgrade (here back to v1) starts nothing.
	ct dpkg -i --force-confdef --force-confold /debs/v1.deb \
	    >"$work/ct-downgrade.log" 2>&1
	rc=$?
	check "(nspawn) dpkg -i $v1_version over the stopped service (exit $rc) starts nothing" \
	    test "$rc" -eq 0 -a "$(ct_prop ActiveState)" = inactive
	ct systemctl start echod && ct systemctl stop echod
	check "(nspawn) systemctl start, then stop: inactive, \"echod stopped\" logged" \
	    eval "[ \$(ct_prop ActiveState) = inactive ] &&
	    ct_journal | grep -q 'echod stopped'"
}

nspawn_run() {
	local t0=$SECONDS nfail0=$nfail
	nspawn_tree || return 0
	if ! nspawn_boot; then
		fail "(nspawn) boot: systemd in the container did not come up within 90 s"
		nspawn_show
		nspawn_teardown
		return 0
	fi
	nspawn_checks
	[ "$nfail" -gt "$nfail0" ] && nspawn_show
	nspawn_teardown
	note "nspawn: $((SECONDS - t0)) s in all"
}
