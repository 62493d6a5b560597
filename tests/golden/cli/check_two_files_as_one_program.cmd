# Files given together form one program: constants of one file are visible in the other.
needs checker
exit 0
bp check tests/golden/cli/shared_constants.bp tests/golden/cli/uses_shared_constants.bp
