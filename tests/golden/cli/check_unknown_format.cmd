# An unknown format is a usage error (exit 2).
exit 2
bp check tests/golden/cli/clean.bp --format xml
