# A clean program in json: an empty list.
exit 0
bp check tests/golden/cli/clean.bp --format json
