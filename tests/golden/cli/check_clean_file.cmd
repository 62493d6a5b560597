# A clean program: nothing printed, exit 0.
exit 0
bp check tests/golden/cli/clean.bp
