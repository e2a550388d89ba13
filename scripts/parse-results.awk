# SPDX-License-Identifier: GPL-2.0
#
# Turn the guest's results file into one line per test: "ok NAME",
# "FAIL NAME" or "SKIP NAME".  Sections are framed by the guest job:
#   ### BEGIN ktap|tap|kmemleak NAME [t=S] ... ### END rc=N [t=S] ... ### DONE
# Every section named in the variable "required" must be there.  With
# times, a section also gives a line "TIME NAME SECONDS", and fails if it
# took more than twice its budget in the variable "budgets" ("NAME=SECONDS
# ...").  The times are the lines' t= fields, or, where the file named by
# the variable "times" is given, the t= of its lines: one per "###" line
# of the results, in order, stamped by the host as it saw them (a guest's
# clock under TCG on a busy host loses ticks).
# Each name starts with the variable "series" (the kernel's), if set.
# In KTAP (KUnit) the counted results are the cases, indented one level
# under their suite; parameterised runs (two levels) roll up into them.

# The guest's serial port ends lines with CR LF.
{ sub(/\r$/, "") }

function result(status, name) {
	printf "%s %s%s\n", status, series == "" ? "" : series ": ", name
}

function tap_line(line, prefix,    status, name) {
	status = (line ~ /^ *not ok/) ? "FAIL" : "ok"
	name = line
	sub(/^ *(not )?ok [0-9]+ (- )?/, "", name)
	if (name ~ /# SKIP/) {
		status = "SKIP"
		sub(/ *# SKIP.*/, "", name)
	}
	result(status, prefix name)
}

/^### (BEGIN|DONE)/ && kind != "" {
	result("FAIL", section ": ended without a result")
	kind = ""
}
function stamp(field,    t, line, n, f) {
	if (times != "") {
		field = ""
		if ((getline line < times) > 0) {
			n = split(line, f, " ")
			field = f[n]
		}
	}
	if (field !~ /^t=[0-9.]+$/)
		return -1
	t = field
	sub(/^t=/, "", t)
	return t + 0
}

BEGIN {
	n = split(budgets, pairs, " ")
	for (i = 1; i <= n; i++) {
		split(pairs[i], kv, "=")
		budget[kv[1]] = kv[2] + 0
	}
}

/^### BEGIN / {
	seen[$4] = 1
	kind = $3; section = $4; suite = ""; suite_indent = 0
	nr = 0; plan = -1; leaks = 0; subtest = ""
	started = stamp($5)
	next
}
/^### END / {
	rc = $3; sub(/rc=/, "", rc)
	ended = stamp($4)
	if (started >= 0 && ended >= 0) {
		took = ended - started
		printf "TIME %s%s %.1f\n", series == "" ? "" : series ": ", section, took
		if ((section in budget) && took > 2 * budget[section])
			result("FAIL", section ": took " int(took) " s, over twice its budget of " budget[section] " s")
	}
	if (kind == "kmemleak") {
		result(leaks ? "FAIL" : "ok", "kmemleak: no leak after the tests")
		if (rc != 0)
			result("FAIL", "kmemleak: the scan could not run: status " rc)
	} else if (rc != 0)
		result("FAIL", section ": exited with status " rc)
	else if (nr == 0)
		result("FAIL", section ": ran no test")
	else if (kind == "tap" && plan >= 0 && nr != plan)
		result("FAIL", section ": planned " plan " tests, ran " nr)
	kind = ""
	next
}
/^### DONE/ { done = 1; next }

# A suite starts with the first "# Subtest:" of the section's indent.
kind == "ktap" && /^ *# Subtest: / &&
    (!suite_indent || index($0, "#") == suite_indent) {
	suite = $3; suite_indent = index($0, "#")
	suite_plan = -1; suite_cases = 0; suite_failed = 0
	next
}
kind == "ktap" && /^    1\.\.[0-9]+/ { suite_plan = substr($1, 4) + 0; next }
kind == "ktap" && /^    (not )?ok [0-9]+ / {
	nr++; suite_cases++
	if ($1 == "not")
		suite_failed++
	tap_line($0, section "." suite ".")
	next
}
# The suite's own line.  KUnit 6.1 keeps only 512 bytes of log per case,
# so a case's line can be lost: trust the plan and the suite's verdict too.
kind == "ktap" && /^(not )?ok [0-9]+ / {
	if (suite_cases != suite_plan)
		result("FAIL", section "." suite ": planned " suite_plan \
		       " cases, reported " suite_cases)
	else if ($1 == "not" && !suite_failed)
		result("FAIL", section "." suite ": suite failed")
	next
}

# A section may hold several programs' TAP, each after a "# Subtest:
# NAME" line that names its results, each with its plan: the plans add up.
kind == "tap" && /^# Subtest: / { subtest = $3 ": "; next }
kind == "tap" && /^1\.\.[0-9]+/ {
	plan = (plan < 0 ? 0 : plan) + substr($1, 4)
	next
}
kind == "tap" && /^(not )?ok [0-9]+ / {
	nr++
	tap_line($0, section ": " subtest)
	next
}

kind == "kmemleak" && /unreferenced object/ { leaks++; print "    " $0 }

END {
	if (kind != "")
		result("FAIL", section ": ended without a result")
	if (!done)
		result("FAIL", "guest: ran to the end before the timeout")
	split(required, names, " ")
	for (i in names)
		if (!(names[i] in seen))
			result("FAIL", names[i] ": never ran")
}
