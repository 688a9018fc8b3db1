"""One helper to check string options (``Literal`` arguments) with a clear message."""

from __future__ import annotations

from collections.abc import Iterable

#: Output formats of every table command (``--format``).
FORMATS = ("table", "csv", "json", "md", "html", "latex")


def check_option(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError``.

    The message names the argument, the allowed values and the value received.

    Examples
    --------
    >>> check_option("format", "csv", ("csv", "parquet"))
    'csv'
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}"
        )
    return value  # type: ignore[return-value]
