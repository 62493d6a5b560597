# A missing file is a usage error: its path on stderr, exit 2.
exit 2
bp check tests/golden/cli/no_such_file.bp
