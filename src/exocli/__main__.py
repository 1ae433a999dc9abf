"""`python -m exocli` runs the exo command."""

from .entry import main

main()
