"""``python -m fip``: the same as the ``fip`` command."""

from fip.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
