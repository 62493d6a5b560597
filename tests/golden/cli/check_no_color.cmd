# NO_COLOR: plain output (colour needs a terminal and no NO_COLOR).
env NO_COLOR=1
exit 1
bp check tests/golden/cli/invalid_utf8.bp
