"""`python -m matcher.cli ...`: the same as the `matcher` command."""

from matcher.cli import main

main()
