# SPDX-License-Identifier: GPL-2.0
#
# Turn the guest's results file into one line per test: "ok NAME",
# "FAIL NAME" or "SKIP NAME".  Sections are framed by the guest job:
#   ### BEGIN ktap|tap|kmemleak NAME ... ### END rc=N ... ### DONE
# Every section named in the variable "required" must be there.
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
/^### BEGIN / {
	seen[$4] = 1
	kind = $3; section = $4; suite = ""; suite_indent = 0
	nr = 0; plan = -1; leaks = 0
	next
}
/^### END / {
	rc = $3; sub(/rc=/, "", rc)
	if (kind == "kmemleak")
		result(leaks ? "FAIL" : "ok", "kmemleak: no leak after the tests")
	else if (rc != 0)
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

kind == "tap" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
kind == "tap" && /^(not )?ok [0-9]+ / { nr++; tap_line($0, section ": "); next }

kind == "kmemleak" && /unreferenced object/ { leaks++; print "    " $0 }

END {
	if (!done)
		result("FAIL", "guest: ran to the end before the timeout")
	split(required, names, " ")
	for (i in names)
		if (!(names[i] in seen))
			result("FAIL", names[i] ": never ran")
}
