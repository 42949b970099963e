"""``python -m seccomp_kit`` runs the command line."""

from seccomp_kit.cli import main

main()
