# SPDX-License-Identifier: GPL-2.0
#
# TAP for the shell tests, sourced by each: "ok STATUS DESCRIPTION" prints
# the next numbered result, "ok" when STATUS is 0, "not ok" otherwise, and
# leaves $failed at 1 once a result failed: the test's exit status.
nr=0
failed=0

ok() {
	nr=$((nr + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $nr $2"
	else
		echo "not ok $nr $2"
		failed=1
	fi
}
