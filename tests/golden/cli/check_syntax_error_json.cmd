# A syntax error (E0001) in the json format.
needs parser
exit 1
bp check tests/golden/cli/syntax_error.bp --format json
