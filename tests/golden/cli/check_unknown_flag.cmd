# An unknown flag is a usage error (exit 2).
exit 2
bp check --bogus tests/golden/cli/clean.bp
