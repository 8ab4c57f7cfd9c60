#!/usr/bin/env bash
# Debian packages the test suite needs: Dovecot (IMAP + LMTP) for the real mail servers, and
# LibreOffice Calc without a GUI (`soffice`) to open the period workbook billbot exports.
set -euo pipefail

missing=()
command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd dovecot-lmtpd)
[ -e /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
# policy-rc.d keeps the packaged system-wide dovecot from starting: tests run their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
