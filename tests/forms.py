"""Reading a rendered form back as the data a browser would submit."""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    """The fields a browser would submit from the page's main form, with their current values."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._multiple, self._textarea = {}, None, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.data[name] = "on"
            else:
                self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select, self._multiple = name, "multiple" in attrs
            if not self._multiple:  # a multiple select with nothing chosen sends nothing
                self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            value = attrs.get("value") or ""
            if self._multiple:
                self.data.setdefault(self._select, []).append(value)
            else:
                self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_fields(html: str) -> dict:
    """What a browser would submit from the page's form (the change list's action select left out)."""
    parser = _FormFields()
    parser.feed(html)
    parser.data.pop("action", None)
    return parser.data


def form_data(response):
    return form_fields(response.content.decode())
