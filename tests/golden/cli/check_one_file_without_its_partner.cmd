# The same file alone: its constants are unknown names.
needs checker
exit 1
bp check tests/golden/cli/uses_shared_constants.bp --format json
