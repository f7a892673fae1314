"""Cross-references of the docstrings, rendered for a reader.

cnnref's docstrings name other objects the numpy-docstring way,
``:func:`cnnref.conv2d```, which reads well in ``help()``. mkdocstrings
renders the role as it is, so the API page showed ``:func:conv2d``. This
hook turns each role into its name in code, linked to the object when the
page documents an object of the role's kind under that name (the name
itself, or the shortest documented path that ends with it, with or without
the leading ``cnnref.``), and drops a leading ``~`` to show the last part of
the name only, as Sphinx does.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(func|meth|class|mod|data|attr|exc|obj):<code>(~?)([\w.]+)</code>")
# mkdocstrings wraps each documented object in <div class="doc doc-object doc-KIND">
OBJECT = re.compile(r'doc-object doc-(\w+)">\s*<(?:a|h\d) id="(cnnref[\w.]*)"')
KINDS = {
    "func": {"function"},
    "meth": {"function"},
    "class": {"class"},
    "exc": {"class"},
    "mod": {"module"},
    "data": {"attribute"},
    "attr": {"attribute"},
}


def resolve(name: str, objects: dict[str, str], role: str) -> str | None:
    """The id of the object ``name`` of the role's kind documented on the page, or None."""
    kinds = KINDS.get(role)
    ids = [i for i, kind in objects.items() if kinds is None or kind in kinds]
    for key in (name, name.removeprefix("cnnref.")):
        if key in ids:
            return key
        found = [i for i in ids if i.endswith("." + key)]
        if found:
            return min(found, key=lambda i: (len(i), i))
    return None


def linked(html: str) -> str:
    """``html`` with every role replaced by its name in code, linked where it resolves."""
    objects = {ident: kind for kind, ident in OBJECT.findall(html)}

    def replace(match: re.Match) -> str:
        role, short, name = match.groups()
        shown = name.rsplit(".", 1)[-1] if short else name
        target = resolve(name, objects, role)
        code = f"<code>{shown}</code>"
        return f'<a href="#{target}">{code}</a>' if target else code

    return ROLE.sub(replace, html)


def on_page_content(html: str, page, config, files) -> str:
    return linked(html)
