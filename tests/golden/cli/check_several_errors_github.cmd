# Several errors: one workflow command each, in source order.
needs checker
exit 1
bp check tests/golden/cli/several_errors.bp --format github
