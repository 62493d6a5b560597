# Invalid UTF-8: one E0001 at the first bad byte, in the github format.
exit 1
bp check tests/golden/cli/invalid_utf8.bp --format github
