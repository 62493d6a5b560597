# An unknown field: did-you-mean help and a related label in stdlib/entities.bp.
needs checker
exit 1
bp check tests/golden/cli/unknown_field.bp
