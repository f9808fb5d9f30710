#!/bin/bash
# test/e2e/postfix-stage.sh: the Postfix end-to-end stage.
#
# Debian's postfix and exim4 packages exclude each other (both provide
# mail-transport-agent), so this stage, run by .ci/run after `npm test`:
#   1. installs postfix (apt removes exim4-daemon-light), configured "Local only":
#      it listens on loopback only, delivers @localhost to /var/mail, and relays
#      nothing anywhere (default_transport = error);
#   2. starts it and runs test/e2e/postfix.test.ts and vacation-onoff.test.ts with AUTOREPLY_E2E_POSTFIX=1;
#   3. whatever happened, stops postfix, purges it and reinstalls
#      exim4-daemon-light when it was installed before, so that the machine is as
#      it was for the next run (the Exim tests need it).
# Needs root, apt access to the Debian archive, and a built project (npm run build).
# Exit status: the test's.
set -uo pipefail

if [ "$(id -u)" != 0 ]; then echo "postfix-stage: needs root" >&2; exit 77; fi
project=$(cd "$(dirname "$0")/../.." && pwd)
export DEBIAN_FRONTEND=noninteractive
log() { printf 'postfix-stage: %s\n' "$*" >&2; }
apt_install() { apt-get install -y -q "$@" || { apt-get update -q && apt-get install -y -q "$@"; }; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
had_exim=0; installed exim4-daemon-light && had_exim=1
had_postfix=0; installed postfix && had_postfix=1

restore() {
  log "stopping postfix"
  /usr/sbin/postfix stop >/dev/null 2>&1 || true
  if [ "$had_postfix" = 1 ]; then return; fi
  if [ "$had_exim" = 1 ]; then
    log "reinstalling exim4-daemon-light (removes postfix)"
    # one transaction: never a moment without an MTA for packages that need one
    apt_install exim4-daemon-light postfix- >/dev/null || log "could not reinstall exim4-daemon-light!"
  else
    apt-get remove -y -q postfix >/dev/null || true
  fi
  dpkg --purge postfix >/dev/null 2>&1 || true
  rm -f /var/log/postfix.log
  if [ "$had_exim" = 1 ] && ! /usr/sbin/exim -bV >/dev/null 2>&1; then log "Exim is NOT back"; exit 70; fi
}
trap restore EXIT

if [ "$had_postfix" = 0 ]; then
  log "installing postfix (replaces Exim for this stage)"
  debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string localhost
postfix postfix/destinations string localhost, localhost.localdomain
EOF
  apt_install postfix >/dev/null || { log "apt-get install postfix failed"; exit 70; }
fi

# local only: nothing leaves this machine
postconf -e \
  'myhostname = localhost' \
  'myorigin = localhost' \
  'mydestination = localhost, localhost.localdomain' \
  'inet_interfaces = loopback-only' \
  'relayhost =' \
  'default_transport = error:this test machine sends no mail out' \
  'relay_transport = error:this test machine sends no mail out' \
  'mailbox_command =' \
  'home_mailbox =' \
  'maillog_file = /var/log/postfix.log' \
  'compatibility_level = 3.6'
newaliases
[ -x /usr/lib/postfix/configure-instance.sh ] && /usr/lib/postfix/configure-instance.sh - >/dev/null 2>&1
/usr/sbin/postfix check
/usr/sbin/postfix start >/dev/null 2>&1 || /usr/sbin/postfix reload >/dev/null 2>&1
/usr/sbin/postfix status || { log "postfix does not run"; exit 70; }

log "running test/e2e/postfix.test.ts and test/e2e/vacation-onoff.test.ts"
cd "$project" || exit 70
AUTOREPLY_E2E_POSTFIX=1 npx tap test/e2e/postfix.test.ts test/e2e/vacation-onoff.test.ts
rc=$?
[ $rc = 0 ] || { log "failed; last lines of /var/log/postfix.log:"; tail -n 30 /var/log/postfix.log >&2; }
exit $rc
