"""One module per `siri` subcommand: `add_parser(subparsers)` registers it, `run(args)` does it.
`common` holds what every subcommand shares; `play_screen` lays out `siri play`'s text."""
