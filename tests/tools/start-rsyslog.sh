#!/bin/sh
# Starts an rsyslogd for tests: in the foreground (-n) of a background job,
# listening on 127.0.0.1 only (UDP and TCP), with its configuration, work
# directory, pid file and outputs in one directory.  No system socket
# (imuxsock), journal or kernel log is read and nothing in /etc or /run is
# touched.
#
#   start-rsyslog.sh [-d DIR] [-u UDP_PORT] [-t TCP_PORT]
#
# Every message received is written twice:
#   DIR/raw.log     the message as received (%rawmsg%; TCP framing removed)
#   DIR/parsed.log  "pri=.. facility=.. severity=.. app=.. procid=.. msgid=..
#                    sd=.. msg=.." as rsyslog's RFC 5424 parser read it
#
# Once a probe sent with logger(1) over each transport has come out in
# raw.log, prints
#   pid=PID
#   udp_port=PORT
#   tcp_port=PORT
#   dir=DIR
# and exits 0, leaving rsyslogd running: stop it with `kill PID`.  Its own
# messages go to DIR/rsyslogd.log.  Exits 1 if it cannot start.
set -eu

RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
dir= udp= tcp=
while getopts d:u:t: opt; do
	case $opt in
	d) dir=$OPTARG ;;
	u) udp=$OPTARG ;;
	t) tcp=$OPTARG ;;
	*) echo "usage: $0 [-d DIR] [-u UDP_PORT] [-t TCP_PORT]" >&2; exit 2 ;;
	esac
done

die() { echo "start-rsyslog: $*" >&2; exit 1; }

[ -x "$RSYSLOGD" ] || die "$RSYSLOGD not found: install the Debian package rsyslog"
command -v logger >/dev/null || die "logger not found: install the Debian package bsdutils"

[ -n "$dir" ] || dir=$(mktemp -d /tmp/bpfalert-rsyslog-XXXXXX)
mkdir -p "$dir/work"

random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
}

write_conf() {
	cat > "$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir/work")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$1")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$2")
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string"
         string="pri=%pri% facility=%syslogfacility-text% severity=%syslogseverity-text% app=%app-name% procid=%procid% msgid=%msgid% sd=%structured-data% msg=%msg%\\n")
action(type="omfile" file="$dir/raw.log" template="raw")
action(type="omfile" file="$dir/parsed.log" template="parsed")
EOF
}

# Probes until both transports have delivered one into raw.log.
probe() {
	i=0
	while [ $i -lt 50 ]; do
		logger -d -n 127.0.0.1 -P "$1" -t start-rsyslog "probe-udp-$3" 2>/dev/null || true
		logger -T --octet-count -n 127.0.0.1 -P "$2" -t start-rsyslog \
			"probe-tcp-$3" 2>/dev/null || true
		if grep -q "probe-udp-$3" "$dir/raw.log" 2>/dev/null &&
		   grep -q "probe-tcp-$3" "$dir/raw.log" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

given_udp=$udp given_tcp=$tcp
for attempt in 1 2 3 4 5; do
	udp=${given_udp:-$(random_port)}
	tcp=${given_tcp:-$(random_port)}
	write_conf "$udp" "$tcp"
	"$RSYSLOGD" -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" \
		</dev/null >"$dir/rsyslogd.log" 2>&1 &
	pid=$!
	if probe "$udp" "$tcp" "$pid-$attempt"; then
		echo "pid=$pid"
		echo "udp_port=$udp"
		echo "tcp_port=$tcp"
		echo "dir=$dir"
		exit 0
	fi
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	# rsyslogd goes on running when a listener cannot bind; only ports of
	# our own choosing are worth another try.
	[ -z "$given_udp" ] || [ -z "$given_tcp" ] || die "rsyslogd did not start: $(tail -5 "$dir/rsyslogd.log")"
done
die "rsyslogd did not start: $(tail -5 "$dir/rsyslogd.log")"
