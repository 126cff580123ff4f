"""The structure tree of a joined PDF (pdfjoin.py): one tree of every part's elements, the parent
tree renumbered, element IDs unique; and the copying of a part's objects both use.

pdftags.py (finish) expects what WeasyPrint writes for a whole document: a `/StructTreeRoot`
with one `/Document` element, a flat `/ParentTree` number tree whose keys are the pages'
`/StructParents` and the annotations' `/StructParent`, and elements reaching their pages by
`/Pg`. Each part has its own such tree, its keys from 0: the joined tree takes the first
part's `/Document` element, the kids of every later part's appended to it, and each part's
keys moved past the previous parts'. Marked content whose element is not in a part's tree
(WeasyPrint's margin boxes) stays so, for pdftags.py to make it an artifact.
"""

from __future__ import annotations

import re
from typing import Any

import pikepdf


def copy_object(out: pikepdf.Pdf, source: pikepdf.Pdf, obj: Any) -> Any:
    """A part's object in `out`, through qpdf's copier (each object copied once, its page
    references mapped to the copied pages). A direct array or dictionary stays direct (it is
    copied by way of an indirect object the output does not keep); a plain value is a value."""
    if isinstance(obj, pikepdf.Stream) or (isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)) and obj.is_indirect):
        return out.copy_foreign(obj)
    if isinstance(obj, pikepdf.Array):
        return pikepdf.Array(list(out.copy_foreign(source.make_indirect(obj))))
    if isinstance(obj, pikepdf.Dictionary):
        return pikepdf.Dictionary(dict(out.copy_foreign(source.make_indirect(obj)).items()))
    return obj


def merge_structure(out: pikepdf.Pdf, sources: list[pikepdf.Pdf], starts: list[int]) -> None:
    """One structure tree: every part's top elements in the first part's `/Document` element
    (or under one root), the parent tree keys of each part moved past the previous parts'."""
    roots: list[Any] = [s.Root.get("/StructTreeRoot") for s in sources]
    if not all(isinstance(r, pikepdf.Dictionary) for r in roots):
        return  # untagged parts (or a mix): no tree, as WeasyPrint without pdf_tags
    _renumber_ids(roots)
    tree = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    for key in sorted(k for k in roots[0].keys() if k not in ("/K", "/ParentTree", "/ParentTreeNextKey", "/Type", "/IDTree")):
        tree[key] = copy_object(out, sources[0], roots[0][key])
    document: Any = None
    kids = pikepdf.Array()
    nums = pikepdf.Array()
    offset = 0
    for source, root, start in zip(sources, roots, starts, strict=True):
        assert isinstance(root, pikepdf.Dictionary)
        top = _kids_of(root)
        # The top elements' /P is the part's root: cut it before copying, so the copy does not
        # drag the part's whole root (and parent tree) along.
        for element in top:
            if isinstance(element, pikepdf.Dictionary) and "/P" in element:
                del element["/P"]
        if len(top) == 1 and top[0].get("/S") == "/Document":
            inner = _kids_of(top[0])
            for element in inner:
                if isinstance(element, pikepdf.Dictionary) and "/P" in element:
                    del element["/P"]
            if document is None:
                document = copy_object(out, source, top[0])
                document.P = tree
                kids.append(document)
                moved = _kids_of(document)
            else:
                moved = [copy_object(out, source, e) for e in inner]
                document.K = pikepdf.Array([*_kids_of(document), *moved])
            for element in moved:
                if isinstance(element, pikepdf.Dictionary) and "/S" in element:
                    element.P = document
        else:
            for element in top:
                copied = copy_object(out, source, element)
                if isinstance(copied, pikepdf.Dictionary):
                    copied.P = tree
                kids.append(copied)
        parent_tree = root.get("/ParentTree")
        entries = sorted((int(k), v) for k, v in pikepdf.NumberTree(parent_tree).items()) if parent_tree is not None else []
        for key, value in entries:
            nums.append(key + offset)
            nums.append(copy_object(out, source, value))
        for index in range(start, start + len(source.pages)):
            page = out.pages[index].obj
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + offset
            for annot in page.get("/Annots", pikepdf.Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        following = int(root.get("/ParentTreeNextKey", 0))
        offset += max(following, (entries[-1][0] + 1) if entries else 0)
    tree.K = kids
    tree.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=nums))
    out.Root.StructTreeRoot = tree


def _renumber_ids(roots: list[Any]) -> None:
    """Structure element /IDs unique across parts, as PDF/UA wants. An ID of letters and a
    number (pdftags.py's footnotes, `note-3`) is moved past the highest number of its prefix
    in the parts before, so the notes are numbered through the document as in a whole build;
    another ID a previous part has (WeasyPrint's table headers, `106-0-0`) gets `-PART`, and
    the part's /Headers that name it follow."""
    highest: dict[str, int] = {}
    used: set[str] = set()
    for number, root in enumerate(roots, 1):
        elements: list[Any] = []
        seen: set[tuple[int, int]] = set()
        stack = list(reversed(_kids_of(root)))
        while stack:  # depth first, in reading order
            element = stack.pop()
            if not isinstance(element, pikepdf.Dictionary) or "/S" not in element or element.objgen in seen:
                continue
            seen.add(element.objgen)
            elements.append(element)
            stack.extend(reversed(_kids_of(element)))
        before = dict(highest)
        renamed: dict[str, str] = {}
        for element in elements:
            if not isinstance(element.get("/ID"), pikepdf.String):
                continue
            ident = new = str(element.ID)
            match = re.fullmatch(r"([A-Za-z]+-)(\d+)", ident)
            if match:
                prefix, n = match.group(1), int(match.group(2)) + before.get(match.group(1), 0)
                highest[prefix] = max(highest.get(prefix, 0), n)
                new = f"{prefix}{n}"
            elif ident in used:
                new = f"{ident}-{number}"
            used.add(new)
            if new != ident:
                renamed[ident] = new
                element.ID = pikepdf.String(new)
        if renamed:
            for element in elements:
                attributes = element.get("/A")
                for owner in attributes if isinstance(attributes, pikepdf.Array) else [attributes]:
                    headers = owner.get("/Headers") if isinstance(owner, pikepdf.Dictionary) else None
                    if isinstance(headers, pikepdf.Array):
                        owner.Headers = pikepdf.Array([pikepdf.String(renamed.get(str(h), str(h))) for h in headers])


def _kids_of(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]
