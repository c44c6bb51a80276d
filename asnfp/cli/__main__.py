"""``python -m asnfp.cli``: the ``asnfp`` command."""

from asnfp.cli.command import entry

__all__ = ("entry",)

if __name__ == "__main__":
    entry()
