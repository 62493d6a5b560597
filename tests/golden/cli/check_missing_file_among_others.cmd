# Every unreadable file is named; nothing is checked.
exit 2
bp check tests/golden/cli/clean.bp tests/golden/cli/no_such_file.bp tests/golden/cli
