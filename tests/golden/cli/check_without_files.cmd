# bp check needs at least one file (exit 2).
exit 2
bp check
