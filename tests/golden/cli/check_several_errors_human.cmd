# Several errors in the human format, then the summary line.
needs checker
exit 1
bp check tests/golden/cli/several_errors.bp
