"""The one family of user-facing errors: each knows how to describe itself as `path:line: message`."""

from __future__ import annotations


class SiteError(Exception):
    """A problem the user can fix; printed as one line, never with a traceback (unless --debug)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"

    def __reduce__(self):
        # Keep path and line when an error crosses from a worker process.
        return (type(self), (self.message, self.path, self.line))

    def sort_key(self) -> tuple[str, int, str]:
        return (self.path or "", self.line or 0, self.message)


class ConfigError(SiteError):
    """site.toml or a command-line option is wrong."""


class UsageError(SiteError):
    """A command-line value that can never work (`new --url ftp://...`): exit 2, like argparse's own."""


class ContentError(SiteError):
    """A file under content/ cannot become an item."""


class ThemeError(SiteError):
    """A theme is missing or broken, or a template failed while rendering a page."""


class OutputError(SiteError):
    """The output folder cannot be (safely) written."""


class SiteErrors(SiteError):
    """Several errors gathered from one stage, reported together, sorted by path and line."""

    def __init__(self, errors: list[SiteError]) -> None:
        flat = [e for error in errors for e in (error.errors if isinstance(error, SiteErrors) else [error])]
        self.errors = sorted(flat, key=SiteError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.errors,))


def raise_all(errors: list[SiteError]) -> None:
    """Raise nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SiteErrors(errors)


def printable_path(path: str) -> str:
    """The path with bytes that are not UTF-8 (which Python decodes to lone surrogates) and control characters
    written as escapes, so that a message about the file can be printed."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
