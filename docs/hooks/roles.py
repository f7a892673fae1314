"""Cross-references of the docstrings, rendered for a reader.

cnnref's docstrings name other objects the numpy-docstring way,
``:func:`cnnref.conv2d```, which reads well in ``help()``. mkdocstrings
renders the role as it is, so the API page showed ``:func:conv2d``. This
hook turns each role into its name in code, linked to the object when the
page documents it (the shortest id that ends with the name), and drops a
leading ``~`` to show the last part of the name only, as Sphinx does.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|exc|obj):<code>(~?)([\w.]+)</code>")
IDS = re.compile(r'\bid="(cnnref[\w.]*)"')


def resolve(name: str, ids: set[str]) -> str | None:
    """The id of the page that documents ``name``: itself, or the shortest that ends with it."""
    for key in (name, name.removeprefix("cnnref."), name.rsplit(".", 1)[-1]):
        if key in ids:
            return key
        found = [i for i in ids if i.endswith("." + key)]
        if found:
            return min(found, key=lambda i: (len(i), i))
    return None


def linked(html: str) -> str:
    """``html`` with every role replaced by its (linked) name in code."""
    ids = set(IDS.findall(html))

    def replace(match: re.Match) -> str:
        short, name = match.groups()
        shown = name.rsplit(".", 1)[-1] if short else name
        target = resolve(name, ids)
        code = f"<code>{shown}</code>"
        return f'<a href="#{target}">{code}</a>' if target else code

    return ROLE.sub(replace, html)


def on_page_content(html: str, page, config, files) -> str:
    return linked(html)
