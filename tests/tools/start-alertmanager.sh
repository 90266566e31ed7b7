#!/bin/sh
# Starts a Prometheus Alertmanager for tests: on 127.0.0.1 only, with its
# configuration, storage and log in one directory, clustering off; nothing
# system-wide is read or written.
#
#   start-alertmanager.sh [-d DIR] [-p PORT] [-a USER:BCRYPT_HASH] [-t]
#
#   -d DIR   work directory (created if missing; default: a new mktemp -d)
#   -p PORT  listen port (default: a free one, found by trying)
#   -a U:H   require HTTP basic auth: user U, bcrypt hash H
#   -t       serve HTTPS with a self-signed certificate (made with openssl)
#
# Once Alertmanager answers on /-/ready, prints
#   pid=PID
#   port=PORT
#   dir=DIR
#   url=http(s)://127.0.0.1:PORT
# and exits 0, leaving it running in the background: stop it with
# `kill PID`.  Its log is DIR/alertmanager.log.  Exits 1 if it cannot start.
set -eu

AM=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
dir= port= auth= tls=
while getopts d:p:a:t opt; do
	case $opt in
	d) dir=$OPTARG ;;
	p) port=$OPTARG ;;
	a) auth=$OPTARG ;;
	t) tls=1 ;;
	*) echo "usage: $0 [-d DIR] [-p PORT] [-a USER:HASH] [-t]" >&2; exit 2 ;;
	esac
done

die() { echo "start-alertmanager: $*" >&2; exit 1; }

[ -x "$AM" ] || die "$AM not found: install the Debian package prometheus-alertmanager"
command -v curl >/dev/null || die "curl not found: install the Debian package curl"
[ -z "$tls" ] || command -v openssl >/dev/null ||
	die "openssl not found: install the Debian package openssl"

[ -n "$dir" ] || dir=$(mktemp -d /tmp/bpfalert-am-XXXXXX)
mkdir -p "$dir/data"

# One receiver that does nothing: the tests read alerts back through the API.
cat > "$dir/alertmanager.yml" <<EOF
route:
  receiver: "null"
receivers:
  - name: "null"
EOF

web_args=
if [ -n "$auth$tls" ]; then
	: > "$dir/web.yml"
	if [ -n "$tls" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -days 2 -subj /CN=127.0.0.1 \
			-addext subjectAltName=IP:127.0.0.1 \
			-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.log" ||
			die "openssl could not make a certificate: $(cat "$dir/openssl.log")"
		printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n' \
			"$dir/cert.pem" "$dir/key.pem" >> "$dir/web.yml"
	fi
	if [ -n "$auth" ]; then
		printf "basic_auth_users:\n  %s: '%s'\n" "${auth%%:*}" "${auth#*:}" \
			>> "$dir/web.yml"
	fi
	web_args="--web.config.file=$dir/web.yml"
fi
scheme=http
[ -z "$tls" ] || scheme=https

random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
}

# 0 when up: /-/ready answers 200, or 401 when basic auth guards it too
# (the configuration is loaded before the listener opens).
ready() {
	code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 \
		"$scheme://127.0.0.1:$1/-/ready" 2>/dev/null) || true
	[ "$code" = 200 ] || [ "$code" = 401 ]
}

# `kill -0` succeeds on a zombie, so read the state from /proc.
alive() {
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"
}

given_port=$port
for attempt in 1 2 3 4 5; do
	[ -n "$given_port" ] || port=$(random_port)
	# shellcheck disable=SC2086
	"$AM" --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
		$web_args </dev/null >"$dir/alertmanager.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 100 ] && alive $pid; do
		if ready "$port"; then
			echo "pid=$pid"
			echo "port=$port"
			echo "dir=$dir"
			echo "url=$scheme://127.0.0.1:$port"
			exit 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	if [ -n "$given_port" ] || ! grep -q 'address already in use' "$dir/alertmanager.log"; then
		die "alertmanager did not start: $(tail -5 "$dir/alertmanager.log")"
	fi
done
die "no free port found"
