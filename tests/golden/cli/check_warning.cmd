# Warnings alone exit 0.
needs lints
exit 0
bp check tests/golden/cli/warning.bp
