# --deny-warnings turns warnings into exit 1.
needs lints
exit 1
bp check tests/golden/cli/warning.bp --deny-warnings
