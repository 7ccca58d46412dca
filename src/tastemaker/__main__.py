"""``python -m tastemaker`` runs the CLI (handy where the console script is not on PATH)."""

from tastemaker.cli import main

main()
