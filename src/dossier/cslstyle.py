"""What a dossier's own CSL style may contain, judged as pandoc's citeproc reads it.

Citeproc (jgm/citeproc, `Citeproc.Element`) finds elements and attributes by their
*local* name: `<x:link xmlns:x="urn:x" x:rel="independent-parent">` is a `<link
rel="independent-parent">` to it, whatever the namespace or prefix. So this module reads
the style with namespaces resolved and then looks at local names only:

- a `<link rel="independent-parent">` anywhere (citeproc follows the one in `<info>`
  and pandoc fetches its `href`: a local file, printed in pandoc's error, or a URL);
- an attribute written twice under one local name (`rel` and `x:rel`), since which of
  the two citeproc keeps is not something a reader of the file can see;
- macro calls (`<text macro>`, `<key macro>`) of undefined macros, calls that come back
  to the macro they start from (citeproc expands them without end: gigabytes of memory),
  and macros whose expansion is too large (a macro calling the next one twice, forty
  deep, is a billion elements: the "billion laughs" of CSL); elements nested deeper than
  any real style nests them.

Nothing else in a style names a file or an address pandoc reads: citeproc takes
locales from its built-in copies (`default-locale` and `xml:lang` are language tags),
and neither XInclude nor `xml:base` is processed by the XML library it uses. A DTD is
refused before parsing (entities). Every refusal is located at the element.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field

from .errors import DossierError, Location

CSL_NS = "http://purl.org/net/xbiblio/csl"
MAX_EXPANSION = 20_000_000  # elements of one macro with its calls expanded: Chicago notes reaches 975,099
MAX_DEPTH = 100  # macros calling macros; the Chicago styles go 12 deep
MAX_NESTING = 100  # elements inside elements; the Chicago styles go 14 deep


@dataclass
class _Element:
    name: str  # local name
    ns: str
    attrs: dict[str, str]  # by local name
    line: int
    col: int
    children: list[_Element] = field(default_factory=list)


def _local(name: str) -> tuple[str, str]:
    ns, _, local = name.rpartition(" ")
    return ns, local


def _parse(text: str, shown: str) -> _Element:
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    stack: list[_Element] = []
    root: list[_Element] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        ns, local = _local(name)
        line, col = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        if len(stack) >= MAX_NESTING:
            raise DossierError.at(Location(shown, line, col), f"elements nested more than {MAX_NESTING} deep, expected a style of ordinary size")
        attrs: dict[str, str] = {}
        for qualified, value in attributes.items():
            _, key = _local(qualified)
            if key in attrs:
                raise DossierError.at(
                    Location(shown, line, col),
                    f"<{local}> has two attributes named '{key}' (in different namespaces), expected each attribute once",
                )
            attrs[key] = value
        element = _Element(local, ns, attrs, line, col)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        at = Location(shown, exc.lineno, exc.offset + 1)
        raise DossierError.at(at, f"CSL style is not well-formed XML: {reason}, expected a .csl file") from None
    return root[0]


def _walk(element: _Element) -> list[_Element]:
    out, todo = [], [element]
    while todo:
        e = todo.pop()
        out.append(e)
        todo.extend(reversed(e.children))
    return out


def _calls(element: _Element) -> list[_Element]:
    """The elements in `element` that call a macro, in file order."""
    return [e for e in _walk(element) if e.name in ("text", "key") and "macro" in e.attrs]


def check_style(text: str, shown: str) -> None:
    """Raise DossierError at the first thing in the style pandoc must not act on."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        before = text[: text.find("<!")]
        at = Location(shown, before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        raise DossierError.at(at, "a DOCTYPE or ENTITY in a CSL style, expected plain CSL XML without a DTD")
    root = _parse(text, shown)
    if (root.ns, root.name) != (CSL_NS, "style"):
        raise DossierError.at(Location(shown, root.line, root.col), f"root element <{root.name}>, expected a CSL <style>")
    for e in _walk(root):
        if e.name == "link" and "independent-parent" in e.attrs.get("rel", "").lower().split():
            raise DossierError.at(
                Location(shown, e.line, e.col),
                f"a dependent CSL style (its parent is {e.attrs.get('href', 'not named')}, which pandoc would read from a file or "
                "fetch from the network), expected an independent style: download the parent .csl and name that",
            )
    _check_macros(root, shown)


def _check_macros(root: _Element, shown: str) -> None:
    macros: dict[str, list[_Element]] = {}
    for m in root.children:
        if m.name == "macro" and "name" in m.attrs:
            macros.setdefault(m.attrs["name"], []).append(m)  # citeproc keeps the last; both are checked
    for call in _calls(root):
        if call.attrs["macro"] not in macros:
            raise DossierError.at(
                Location(shown, call.line, call.col),
                f"macro '{call.attrs['macro']}' is not defined, expected the name of a <macro> of the style",
            )
    size: dict[str, int] = {}
    state: dict[str, str] = {}  # name → "open" while its calls are followed, "done" after

    def expand(name: str, path: list[str]) -> int:
        """Elements of `name` with every call expanded; refuses a call back into `path`."""
        if state.get(name) == "done":
            return size[name]
        state[name] = "open"
        total = 0
        for definition in macros[name]:
            total += len(_walk(definition))
            for call in _calls(definition):
                callee = call.attrs["macro"]
                chain = path + [name]
                if state.get(callee) == "open":
                    cycle = " → ".join(chain[chain.index(callee) :] + [callee])
                    raise DossierError.at(
                        Location(shown, call.line, call.col),
                        f"macro '{name}' calls '{callee}', a circle of calls ({cycle}) that pandoc would expand without end, "
                        "expected macros that do not call each other in a circle",
                    )
                if len(chain) > MAX_DEPTH:
                    raise DossierError.at(
                        Location(shown, call.line, call.col),
                        f"macros call each other more than {MAX_DEPTH} deep here, expected a style of ordinary size",
                    )
                total += expand(callee, chain)
                if total > MAX_EXPANSION:
                    raise DossierError.at(
                        Location(shown, call.line, call.col),
                        f"macro '{name}' expands to more than {MAX_EXPANSION:,} elements through its calls, expected a style of ordinary size",
                    )
        state[name], size[name] = "done", total
        return total

    for name in macros:
        expand(name, [])
