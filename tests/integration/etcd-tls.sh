#!/usr/bin/env bash
# verify's "ready: http:" over TLS against a real etcd (Debian's etcd-server)
# serving its clients on https://127.0.0.1:PORT with a certificate signed by
# a CA this test makes (openssl, in its temporary directory), and asking for
# a client certificate signed by that CA (--client-cert-auth).
#
# 1. The plan trusts that CA (ca_file:) and gives a client certificate and
#    key: the upgrade (the member's etcd swapped for the package's) ends
#    with the readiness check answered, the body matched (match:).
# 2. The same plan trusting another CA: readiness never succeeds, and the
#    reason shown names the TLS error; the run fails in verify.
# 3. No client certificate: etcd refuses the handshake, and the reason
#    shown says TLS failed.
. "$UPSHIFT_SRCDIR/tests/lib/common.sh"

ETCD_DEB_VERSION=${ETCD_DEB_VERSION:-3.4.23-4+b4}
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 1; }
deb=$(fetch_deb etcd-server "$ETCD_DEB_VERSION") || { echo "cannot fetch etcd-server"; exit 1; }
mkdir -p "$T_DIR/new" && dpkg-deb -x "$deb" "$T_DIR/new" || { echo "cannot unpack $deb"; exit 1; }
NEW_BIN=$T_DIR/new/usr/bin/etcd
D=$T_DIR/member
BIN=$D/root/usr/bin/etcd
PKI=$D/pki
mkdir -p "$D/root/usr/bin" "$PKI" "$T_DIR/plans" || exit 1

# The CA, the server's certificate (for IP 127.0.0.1), the client's, and
# another CA that signed neither.
ec() { echo -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes; }
mkca() {
	openssl req -x509 $(ec) -keyout "$PKI/$1-key.pem" -out "$PKI/$1.pem" -days 2 \
		-subj "/CN=upshift test $1" >/dev/null 2>&1
}
mkcert() { # NAME CN EXTENSIONS
	openssl req $(ec) -keyout "$PKI/$1-key.pem" -out "$PKI/$1.csr" -subj "/CN=$2" \
		>/dev/null 2>&1 &&
	printf '%s\n' "$3" > "$PKI/$1.ext" &&
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca-key.pem" \
		-CAcreateserial -out "$PKI/$1.pem" -days 2 -extfile "$PKI/$1.ext" >/dev/null 2>&1
}
mkca ca && mkca other-ca &&
	mkcert server 127.0.0.1 $'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth' &&
	mkcert client upshift 'extendedKeyUsage=clientAuth' ||
	{ echo "cannot make the test's certificates"; exit 1; }
ok "a CA, a server and a client certificate made with openssl"

# The member: its own copy of the package's etcd made a distinct old build
# (a marker after the ELF image, as etcd-upgrade.sh does).
cp -p "$NEW_BIN" "$BIN" && printf '\nupshift-test: old build\n' >> "$BIN" || exit 1
cp -p "$BIN" "$T_DIR/old-etcd"
OLD_SHA=$(sha256sum "$BIN" | cut -d' ' -f1)

ctl() { # ctl CERT ARGS...: etcdctl over TLS as the client CERT
	etcdctl --dial-timeout=2s --command-timeout=5s --endpoints "https://127.0.0.1:$CPORT" \
		--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem" "$@"
}

configure() {
	CPORT=$(free_port) && PPORT=$(free_port) && [ "$CPORT" != "$PPORT" ] || return 1
	rm -rf "$D/data" && mkdir -p "$D/data" && chmod 0700 "$D/data"
	cat > "$D/etcd.conf.yml" <<CONF
name: m1
data-dir: $D/data
listen-client-urls: https://127.0.0.1:$CPORT
advertise-client-urls: https://127.0.0.1:$CPORT
listen-peer-urls: http://127.0.0.1:$PPORT
initial-advertise-peer-urls: http://127.0.0.1:$PPORT
initial-cluster: m1=http://127.0.0.1:$PPORT
initial-cluster-state: new
client-transport-security:
  cert-file: $PKI/server.pem
  key-file: $PKI/server-key.pem
  trusted-ca-file: $PKI/ca.pem
  client-cert-auth: true
CONF
}

etcd_pid() { cat "$D/etcd.pid" 2>/dev/null; }
healthy_or_dead() { pid_alive "$(etcd_pid)" || return 0; ctl endpoint health >/dev/null 2>&1; }

# start_old: the old build on a fresh data directory (a port found free may
# be taken by another test first: then again on other ports, three tries).
start_old() {
	local try pid
	for try in 1 2 3; do
		pid=$(etcd_pid)
		if [ -n "$pid" ] && pid_alive "$pid"; then
			kill "$pid"
			wait_for 30 pid_gone "$pid"
		fi
		# the old build back, and what the upgrade before left beside it
		cp -p "$T_DIR/old-etcd" "$BIN" && rm -f "$BIN.upshift-old" || return 1
		configure || return 1
		"$BIN" --config-file "$D/etcd.conf.yml" >> "$D/etcd.log" 2>&1 &
		t_track $!
		echo $! > "$D/etcd.pid"
		wait_for 60 healthy_or_dead && ctl endpoint health >/dev/null 2>&1 && return 0
		echo "# etcd did not start (try $try)"
		tail -n 3 "$D/etcd.log"
	done
	return 1
}

# write_plan NAME CA_FILE CLIENT_CERT(yes|no) TIMEOUT
write_plan() {
	local tls="    ca_file: \"$2\""
	[ "$3" = yes ] && tls+=$'\n    cert_file: "${pki}/client.pem"\n    key_file: "${pki}/client-key.pem"'
	cat > "$T_DIR/plans/$1.yaml" <<PLAN
schema: 1
id: $1
title: etcd over TLS (tests)
target: 3.4.23
ask:
  - {key: package, text: Package, type: file}
  - {key: etcd_bin, text: etcd, type: file}
  - {key: dir, text: The member's directory, type: dir}
  - {key: pki, text: Certificates, type: dir}
  - {key: client_port, text: Client port}
service:
  manager: pidfile
  pidfile: "\${dir}/etcd.pid"
  start: [/sbin/start-stop-daemon, --start, --background, --make-pidfile,
          --pidfile, "\${dir}/etcd.pid", --output, "\${dir}/etcd.log",
          --exec, "\${etcd_bin}", --, --config-file, "\${dir}/etcd.conf.yml"]
  timeout: 60s
detect:
  version: {run: ["\${etcd_bin}", --version], match: '^etcd Version: (\d+\.\d+\.\d+\S*)'}
backup:
  paths: ["\${pki}"]
stop: {}
swap:
  package: "\${package}"
  files:
    usr/bin/etcd: "\${etcd_bin}"
verify:
  ready:
    http: "https://127.0.0.1:\${client_port}/health"
$tls
    match: '"health": *"true"'
    timeout: $4
PLAN
	chmod 0644 "$T_DIR/plans/$1.yaml"
	cat > "$T_DIR/answers.yaml" <<ANS
package: $deb
etcd_bin: $BIN
dir: $D
pki: $PKI
client_port: "$CPORT"
backup_dir: $T_DIR/backups-$1
ANS
}

run() { # run PLAN
	run_upshift run "$1" --plans-dir "$T_DIR/plans" --answers "$T_DIR/answers.yaml" --yes \
		--state-dir "$T_DIR/state-$1"
	printf '%s\n' "$T_OUT" > "$T_DIR/$1.out"
	local pid
	pid=$(etcd_pid)
	[ -n "$pid" ] && t_track "$pid"
}

# --- 1. The right CA and a client certificate ------------------------------
start_old || { echo "etcd did not start with TLS"; exit 1; }
ok "etcd serves its clients over TLS on 127.0.0.1:$CPORT"
check "... and refuses a client without a certificate (curl)" \
	sh -c "! curl -sS --max-time 10 --noproxy '*' --cacert '$PKI/ca.pem' https://127.0.0.1:$CPORT/health >/dev/null 2>&1"
write_plan etcd-tls "\${pki}/ca.pem" yes 90s
run etcd-tls
check_eq "trusted CA and client certificate: the upgrade succeeds" "$T_RC" 0
check_match "... waiting for the https URL" "$T_OUT" "waiting up to 1m30s? for GET https://127\.0\.0\.1:$CPORT/health to answer 2xx"
check_eq "... and the member runs the package's etcd" "$(sha256sum "$BIN" | cut -d' ' -f1)" \
	"$(sha256sum "$NEW_BIN" | cut -d' ' -f1)"
check "... which answers over TLS" ctl endpoint health

# --- 2. Another CA: the server's certificate is not trusted -----------------
start_old || { echo "etcd did not start again"; exit 1; }
check_eq "the old build is back" "$(sha256sum "$BIN" | cut -d' ' -f1)" "$OLD_SHA"
write_plan etcd-wrong-ca "\${pki}/other-ca.pem" yes 10s
run etcd-wrong-ca
check "an untrusted server certificate: the upgrade fails" test "$T_RC" -ne 0
check_match "... readiness names the TLS error" "$T_OUT" \
	"not ready yet: GET https://127\.0\.0\.1:$CPORT/health: TLS with 127\.0\.0\.1 port $CPORT failed: SSL certificate problem: unable to get local issuer certificate"
check_match "... and verify fails on it" "$T_OUT" "the service was not ready within 10s"

# --- 3. No client certificate: etcd refuses the handshake -------------------
start_old || { echo "etcd did not start again"; exit 1; }
write_plan etcd-no-cert "\${pki}/ca.pem" no 10s
run etcd-no-cert
check "no client certificate: the upgrade fails" test "$T_RC" -ne 0
check_match "... readiness says TLS failed" "$T_OUT" \
	"not ready yet: GET https://127\.0\.0\.1:$CPORT/health: TLS with 127\.0\.0\.1 port $CPORT failed: .*alert (bad certificate|certificate required)"

t_done
