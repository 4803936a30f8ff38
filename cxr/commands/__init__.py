"""Subcommands of `python -m cxr`: each module has `add_parser(subparsers)` that sets `handler`."""
