"""`python -m exocli` runs the exo command."""

from .cli import main

main()
