class BundleError(Exception):
    """A bundle that cannot be imported or exported; names the file and field at fault."""

    def __init__(self, message: str, *, path: str = "", field: str = ""):
        self.message, self.path, self.field = message, path, field
        super().__init__(message)

    def __str__(self):
        where = "：".join(part for part in (self.path, self.field) if part)
        return f"{where}：{self.message}" if where else self.message

    def at(self, *, path: str = "", field: str = "") -> "BundleError":
        """The same error placed in a file/field, unless it already names one."""
        return BundleError(self.message, path=self.path or path, field=self.field or field)


class IssueExists(BundleError):
    """The bundle's year and number are taken, and it was not asked to replace that issue."""
