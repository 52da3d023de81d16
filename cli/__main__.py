"""``python -m seqdesign.cli``: the same as the ``seqdesign`` command."""

from seqdesign.cli.main import main

main()
