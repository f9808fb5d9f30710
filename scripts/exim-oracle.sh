#!/bin/bash
# exim-oracle.sh CASE_DIR OUT_DIR
#
# Records what the real Exim autoreply transport does with one conformance case
# (test/conformance/cases/NAME), so that `autoreply --exim-strict` can be compared
# with it byte for byte. See test/conformance/README.md for the case layout.
#
# Each message of the case (message.eml, or message-1.eml, message-2.eml, ...) is
# delivered to bob@example.com (or the case's envelope) by a throw-away Exim whose
# configuration has two routers for the local domain:
#   copy    an `unseen` pipe transport that saves the message and the environment
#           exactly as a pipe transport hands them to a command (what autoreply
#           reads when an MTA pipes into it);
#   reply   Exim's own autoreply transport, with the case's `transport` lines.
# Exim's `exim_path` points at a stand-in, so the autoreply transport's
# "sendmail -t" child is captured instead of sent.
#
# OUT_DIR gets, for delivery N = 1, 2, ...:
#   N.pipe-input.eml  the pipe transport's input (From_ line, Received:, ... blank line)
#   N.pipe-env        the pipe transport's environment (less PWD, SHLVL, _)
#   N.submitted       the bytes the transport wrote to its sendmail child (absent: none)
#   N.argv            that child's arguments, one a line, less -C FILE and -E<id>
#   N.result          Exim's verdict for the reply address: ok, defer: ..., fail: ...
# and reply.log, when the case logs to @STATE@/reply.log.
#
# Needs root and Exim 4.96 (Debian exim4-daemon-light, installed when missing).
# Environment: EXIM (default /usr/sbin/exim).
set -euo pipefail

if [ $# -ne 2 ]; then echo "usage: $0 CASE_DIR OUT_DIR" >&2; exit 64; fi
if [ "$(id -u)" != 0 ]; then echo "$0: needs root (Exim runs the transports as another user)" >&2; exit 77; fi
case_dir=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
[ -f "$case_dir/transport" ] || { echo "$0: $case_dir has no transport file" >&2; exit 66; }

EXIM=${EXIM:-/usr/sbin/exim}
if ! "$EXIM" -bV 2>/dev/null | grep -q '^Exim version'; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q exim4-daemon-light || { apt-get update -q && apt-get install -y -q exim4-daemon-light; }; } >/dev/null
fi
version=$("$EXIM" -bV | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
[ "$version" = 4.96 ] || echo "$0: warning: Exim $version, the corpus was recorded with 4.96" >&2

# the transports run as this user (never root: Exim refuses)
runner=exim-oracle
id "$runner" >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$runner"

work=$(mktemp -d /tmp/autoreply-oracle.XXXXXX)
trusted=/etc/exim4/trusted_configs
cleanup() {
  [ -f "$trusted" ] && sed -i "\\#^$work/exim.conf\$#d" "$trusted"
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir "$work/spool" "$work/log" "$work/capture" "$work/state"
chown Debian-exim: "$work/spool" "$work/log"
chown "$runner": "$work/state"
chmod 1777 "$work/capture"

# envelope and submission result of the case
sender=alice@remote.example
recipient=bob@example.com
if [ -f "$case_dir/envelope" ]; then
  while IFS='=' read -r key value; do
    case $key in
      sender) sender=$value ;;
      recipient) recipient=$value ;;
    esac
  done < "$case_dir/envelope"
fi
submit_rc=0
[ -f "$case_dir/submit_rc" ] && submit_rc=$(tr -dc 0-9 < "$case_dir/submit_rc")

# Exim runs exim_path for its own children too (a bounce for a failed address,
# a re-delivery): only a "-t" submission made as $runner is the transport's.
cat > "$work/stand-in" <<EOF
#!/bin/sh
case " \$* " in
  *" -t "*) ;;
  *) exec $EXIM "\$@" ;;
esac
if [ "\$(id -un)" != "$runner" ]; then cat > $work/capture/other-submission; exit 0; fi
for a in "\$@"; do printf '%s\n' "\$a"; done > $work/capture/argv
cat > $work/capture/submitted
exit $submit_rc
EOF
chmod 755 "$work/stand-in"

options=$(sed -e "s#@CASE@#$case_dir#g" -e "s#@STATE@#$work/state#g" "$case_dir/transport" | sed 's/^/  /')
cat > "$work/exim.conf" <<EOF
primary_hostname = mail.example.com
qualify_domain = example.com
domainlist local_domains = example.com
spool_directory = $work/spool
log_file_path = $work/log/%slog
exim_path = $work/stand-in
trusted_users = root
never_users =
keep_environment =

begin routers

copy:
  driver = accept
  domains = +local_domains
  transport = copy
  unseen

reply:
  driver = accept
  domains = +local_domains
  transport = reply

begin transports

copy:
  driver = pipe
  user = $runner
  command = /bin/sh -c 'cat > $work/capture/pipe-input.eml; env | LC_ALL=C sort > $work/capture/pipe-env'

reply:
  driver = autoreply
  user = $runner
$options

begin retry
*   *   F,1h,10m
EOF
chmod 644 "$work/exim.conf"
# Exim re-executes itself (as its own user) for bounces: the configuration must be trusted
touch "$trusted"
grep -qxF "$work/exim.conf" "$trusted" || echo "$work/exim.conf" >> "$trusted"

if [ -f "$case_dir/message.eml" ]; then
  messages=("$case_dir/message.eml")
else
  mapfile -t messages < <(ls "$case_dir"/message-*.eml | sort -V)
fi
pause=0
[ -f "$case_dir/sleep" ] && pause=$(cat "$case_dir/sleep")

verdict() { # the last line Exim logged for the reply router
  local line
  line=$(grep ' R=reply T=reply' "$work/log/mainlog" 2>/dev/null | tail -n 1 || true)
  case $line in
    *" => "*) echo ok ;;
    *" == "*) echo "defer: ${line#*T=reply }" ;;
    *" ** "*) echo "fail: ${line#*T=reply}" ;;
    *) echo "unknown: $(tail -n 3 "$work/log/mainlog" 2>/dev/null | tr '\n' ' ')" ;;
  esac
}

n=0
for m in "${messages[@]}"; do
  n=$((n + 1))
  if [ "$n" -gt 1 ] && [ "$pause" != 0 ]; then sleep "$pause"; fi
  rm -f "$work/capture"/* "$work/log/mainlog"
  # -oi: a line holding a single dot is text; -oMr: the Received: protocol the corpus shows
  "$EXIM" -C "$work/exim.conf" -odi -oi -oMr oracle -f "$sender" "$recipient" < "$m" || true

  cp "$work/capture/pipe-input.eml" "$out/$n.pipe-input.eml"
  grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' "$work/capture/pipe-env" > "$out/$n.pipe-env" || true
  rm -f "$out/$n.submitted" "$out/$n.argv"
  if [ -f "$work/capture/submitted" ]; then
    cp "$work/capture/submitted" "$out/$n.submitted"
    # drop the private configuration (-C FILE) and the Exim id (-E...): they change every run
    awk 'skip { skip = 0; next } $0 == "-C" { skip = 1; next } /^-E/ { next } { print }' "$work/capture/argv" > "$out/$n.argv"
  fi
  verdict > "$out/$n.result"

  # a deferred message stays queued: remove it so that the next delivery starts afresh
  "$EXIM" -C "$work/exim.conf" -bpru 2>/dev/null | awk 'NF >= 3 && $3 ~ /-/ { print $3 }' |
    while read -r id; do "$EXIM" -C "$work/exim.conf" -Mrm "$id" >/dev/null 2>&1 || true; done
done
if [ -f "$work/state/reply.log" ]; then cp "$work/state/reply.log" "$out/reply.log"; else rm -f "$out/reply.log"; fi
