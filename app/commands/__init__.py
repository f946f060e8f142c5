"""One module per `ledgerbridge` subcommand; each has `add_arguments(parser)` and `run(args) -> int`."""
