"""Part of the email profile's slimming (pdfslim.py): a page's marked content in fewer pieces,
and its content stream without operators that set the state to the value it has.

WeasyPrint marks each run of text on its own (`/Span <</MCID n>> BDC BT … ET EMC`), and the
tags pass (pdftags.py) gives the marked content of a `Span` that says nothing to its parent:
a paragraph then holds dozens of MCIDs in a row, each one a `BDC … EMC`, a `BT … ET`, a `Tf`
and an entry of the parent tree. Here:

- an `EMC` directly followed by a `BDC` whose MCID comes next in the same structure element's
  `/K` is dropped with that `BDC`: one marked-content sequence where there were two, the same
  content in the same element in the same order; the page's MCIDs are then numbered again
  from 0, in the elements' `/K` and in the parent tree;
- an `ET` directly followed by `BT` and a `Tm` goes (the `Tm` sets the matrix `BT` would
  reset; not while text clips, which happens at `ET`);
- `Tf`, `Tr`, a colour, line width, cap, join, miter limit, dash or an ExtGState set to the
  value it already has goes (tracked through `q`/`Q`; a page starts in the default state,
  PDF 32000-1 8.4, a form in one this pass does not know).

A page whose parent tree is not a flat `/Nums` array, or whose marked content names its
properties through `/Properties`, keeps its marked content as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pikepdf


def _mcid(instruction: Any) -> int | None:
    """The MCID of a `BDC` whose properties are an inline dictionary holding only /MCID."""
    if str(instruction.operator) != "BDC" or len(instruction.operands) != 2:
        return None
    props = instruction.operands[1]
    if isinstance(props, pikepdf.Dictionary) and list(props.keys()) == ["/MCID"]:
        return int(props.MCID)
    return None


def _parent_array(doc: pikepdf.Pdf, page: Any) -> tuple[Any, int] | None:
    """The parent tree's array of the page's MCIDs and its index in /Nums (None if the tree
    is not a flat /Nums)."""
    tree = doc.Root.get("/StructTreeRoot")
    nums = tree.get("/ParentTree", pikepdf.Dictionary()).get("/Nums") if tree is not None else None
    if not isinstance(nums, pikepdf.Array) or "/StructParents" not in page:
        return None
    key = int(page.StructParents)
    for i in range(0, len(nums) - 1, 2):
        if int(nums[i]) == key and isinstance(nums[i + 1], pikepdf.Array):
            return nums[i + 1], i + 1
    return None


def _kid_mcid(kid: Any, element: Any, page: Any) -> int | None:
    """The MCID a kid of `element`'s /K names on `page`, or None."""
    if isinstance(kid, int) and not isinstance(kid, bool):
        pg = element.get("/Pg")
        return kid if pg is not None and pg.objgen == page.objgen else None
    if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR" and "/Stm" not in kid:
        pg = kid.get("/Pg", element.get("/Pg"))
        return int(kid.MCID) if pg is not None and pg.objgen == page.objgen else None
    return None


def _kids(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


_SILENT = ("/Span", "/NonStruct")  # inline grouping that, with no attribute, says nothing
_PLAIN_KEYS = {"/Type", "/S", "/K", "/P", "/Pg"}


def flatten(doc: pikepdf.Pdf) -> None:
    """A `Span` or `NonStruct` with no attribute (no /Lang, /Alt, /ActualText, /ID …) and no
    annotation gives what it holds to its parent, in its place: the same reading in fewer
    elements, and its marked content next to its parent's, to be merged."""
    tree: Any = doc.Root.get("/StructTreeRoot")
    if tree is None:
        return
    nums = tree.get("/ParentTree", pikepdf.Dictionary()).get("/Nums")
    if not isinstance(nums, pikepdf.Array):
        return
    arrays = {int(nums[i]): nums[i + 1] for i in range(0, len(nums) - 1, 2) if isinstance(nums[i + 1], pikepdf.Array)}
    by_page: dict[tuple[int, int], Any] = {p.obj.objgen: arrays.get(int(p.obj.get("/StructParents", -1))) for p in doc.pages}

    def silent(kid: Any) -> bool:
        return (
            isinstance(kid, pikepdf.Dictionary)
            and kid.get("/S") in _SILENT
            and set(kid.keys()) <= _PLAIN_KEYS
            and all(not (isinstance(k, pikepdf.Dictionary) and k.get("/Type") in ("/OBJR", "/MCR")) for k in _kids(kid))
            and all(not isinstance(k, int) or (kid.get("/Pg") is not None and by_page.get(kid.Pg.objgen) is not None) for k in _kids(kid))
        )

    def lift(parent: Any) -> None:
        kids = _kids(parent)
        if not any(silent(k) for k in kids):
            return
        page = parent.get("/Pg")
        out: list[Any] = []
        for kid in kids:
            if not silent(kid):
                out.append(kid)
                continue
            for inner in _kids(kid):
                if isinstance(inner, int) and not isinstance(inner, bool):
                    by_page[kid.Pg.objgen][inner] = parent
                    if page is not None and page.objgen == kid.Pg.objgen:
                        out.append(inner)
                    else:
                        out.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=kid.Pg, MCID=inner))
                else:
                    if isinstance(inner, pikepdf.Dictionary):
                        inner.P = parent
                    out.append(inner)
        parent.K = pikepdf.Array(out)

    def walk(element: Any) -> None:  # the children first: what they give up moves once
        for kid in _kids(element):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid)
        lift(element)

    walk(tree)


def merge(doc: pikepdf.Pdf, page: Any, instructions: list[Any]) -> list[Any]:
    """The page's instructions with adjacent marked content of one element merged; the
    structure elements' /K and the parent tree follow."""
    found = _parent_array(doc, page)
    if found is None or any(str(i.operator) == "BDC" and isinstance(i.operands[-1], pikepdf.Name) for i in instructions):
        return instructions
    parents, _ = found
    owner: dict[int, Any] = {m: e for m, e in enumerate(parents) if isinstance(e, pikepdf.Dictionary)}
    follows: dict[int, int] = {}  # MCID -> the MCID after it in its element's /K
    for element in {e.objgen: e for e in owner.values()}.values():
        mcids = [_kid_mcid(k, element, page) for k in _kids(element)]
        for a, b in zip(mcids, mcids[1:], strict=False):
            if a is not None and b is not None:
                follows[a] = b

    out: list[Any] = []
    open_mcids: list[int | None] = []  # the marked content open, innermost last: its last MCID
    dropped: set[int] = set()
    closed: int | None = None  # the MCID whose EMC is the last instruction of `out`
    for instruction in instructions:
        op = str(instruction.operator)
        mcid = _mcid(instruction)
        if mcid is not None and closed is not None and follows.get(closed) == mcid and mcid in owner and owner[closed].objgen == owner[mcid].objgen:
            out.pop()  # the EMC: the sequence goes on
            open_mcids.append(mcid)
            dropped.add(mcid)
            closed = None
            continue
        closed = None
        if op in ("BDC", "BMC"):
            open_mcids.append(mcid)
        elif op == "EMC" and open_mcids:
            closed = open_mcids.pop()
        out.append(instruction)
    shown = {m for m in map(_mcid, out) if m is not None}
    unused = {m for m in range(len(parents)) if m not in shown and m not in owner}  # margins made artifacts
    if not dropped and not unused:
        return instructions

    kept = [m for m in range(len(parents)) if m not in dropped and m not in unused]
    renumber = {old: new for new, old in enumerate(kept)}
    for element in {e.objgen: e for e in owner.values()}.values():
        kids = []
        for kid in _kids(element):
            m = _kid_mcid(kid, element, page)
            if m is None:
                kids.append(kid)
            elif m not in dropped:
                if isinstance(kid, pikepdf.Dictionary):
                    kid.MCID = renumber[m]
                    kids.append(kid)
                else:
                    kids.append(renumber[m])
        element.K = pikepdf.Array(kids)
    _, index = found
    doc.Root.StructTreeRoot.ParentTree.Nums[index] = pikepdf.Array([parents[m] for m in kept])
    result = []
    for instruction in out:
        mcid = _mcid(instruction)
        if mcid is not None and mcid in renumber:
            instruction = pikepdf.ContentStreamInstruction(
                [instruction.operands[0], pikepdf.Dictionary(MCID=renumber[mcid])], pikepdf.Operator("BDC")
            )
        result.append(instruction)
    return result


_FILL = {"g", "rg", "k", "cs", "sc", "scn"}
_STROKE = {"G", "RG", "K", "CS", "SC", "SCN"}
_DEVICE = {"g", "rg", "k", "G", "RG", "K"}  # a colour whose operator names its space
_PLAIN = {"w", "J", "j", "M", "d", "Tr", "Tf"}
_OPACITY = {"/ca", "/CA"}  # the ExtGState entries tracked (WeasyPrint's /a1.0, /A1.0); any other: unknown


def _value(operands: Any) -> tuple[Any, ...]:
    """Operands as plain, comparable Python values."""
    values: list[Any] = []
    for x in operands:
        if isinstance(x, pikepdf.Array):
            values.append(_value(x))
        elif isinstance(x, pikepdf.Name):
            values.append(str(x))
        elif isinstance(x, (int, Decimal)) and not isinstance(x, bool):
            values.append(Decimal(x).normalize())
        else:
            values.append(repr(x))
    return tuple(values)


def _page_start() -> dict[str, Any]:
    """The state the tracked operators set, as a page starts (PDF 32000-1, table 52)."""
    one, zero = Decimal(1), Decimal(0)
    return {
        "w": (one,),
        "J": (zero,),
        "j": (zero,),
        "M": (Decimal(10),),
        "d": ((), zero),
        "Tr": (zero,),
        "fill": ("g", (zero,)),
        "stroke": ("G", (zero,)),
        "/ca": one,
        "/CA": one,
    }


def tidy(instructions: list[Any], resources: Any, page: bool) -> list[Any]:
    """The instructions without an `ET BT` before a `Tm`, and without state set to the value
    it has; `page`: the instructions are a page's (which starts in the default state)."""
    states = resources.get("/ExtGState", pikepdf.Dictionary()) if resources is not None else pikepdf.Dictionary()
    state: dict[str, Any] = _page_start() if page else {}
    stack: list[dict[str, Any]] = []
    out: list[Any] = []
    skip = 0
    for i, instruction in enumerate(instructions):
        if skip:
            skip -= 1
            continue
        op = str(instruction.operator)
        following = [str(x.operator) for x in instructions[i + 1 : i + 3]]
        if op == "ET" and following == ["BT", "Tm"] and state.get("Tr", (Decimal(4),))[0] < 4:
            skip = 1  # this ET and the BT after it
            continue
        if op == "q":
            stack.append(dict(state))
        elif op == "Q":
            state = stack.pop() if stack else {}
        elif op in _PLAIN:
            value = _value(instruction.operands)
            if state.get(op) == value:
                continue
            state[op] = value
        elif op in _FILL or op in _STROKE:
            key = "fill" if op in _FILL else "stroke"
            colour = (op, _value(instruction.operands)) if op in _DEVICE else None
            if colour is not None and state.get(key) == colour:
                continue
            state[key] = colour
        elif op == "gs":
            extgstate = states.get(str(instruction.operands[0]))
            entries = dict(extgstate.items()) if isinstance(extgstate, pikepdf.Dictionary) else {"?": None}
            entries.pop("/Type", None)
            if set(entries) <= _OPACITY:
                opacity = {k: _value([v])[0] for k, v in entries.items()}
                if all(state.get(k) == v for k, v in opacity.items()):
                    continue
                state.update(opacity)
            else:
                state = {}  # it may set anything: nothing is known any more
        out.append(instruction)
    return out


# What may stand inside a text object besides text operators (PDF 32000-1, figure 9): state, not
# q/Q, cm or painting.
_STATE_IN_TEXT = {"w", "J", "j", "M", "d", "ri", "i", "gs", *_FILL, *_STROKE, "Tc", "Tw", "Tz", "TL", "Tf", "Tr", "Ts"}
_TEXT = {"Tm", "Td", "TD", "T*", "TJ", "Tj", "'", '"', *_STATE_IN_TEXT}


def _unit(instructions: list[Any], i: int) -> int | None:
    """The end (exclusive) of the marked text at `i`: `BDC` (inline properties), state, `BT`,
    text starting with a `Tm`, `ET`, `EMC`; None if none starts there."""
    first = instructions[i]
    if str(first.operator) != "BDC" or not isinstance(first.operands[-1], pikepdf.Dictionary):
        return None
    j = i + 1
    while j < len(instructions) and str(instructions[j].operator) in _STATE_IN_TEXT:
        j += 1
    if j + 1 >= len(instructions) or str(instructions[j].operator) != "BT" or str(instructions[j + 1].operator) != "Tm":
        return None
    j += 1
    while j < len(instructions) and str(instructions[j].operator) in _TEXT:
        j += 1
    if j + 1 < len(instructions) and str(instructions[j].operator) == "ET" and str(instructions[j + 1].operator) == "EMC":
        return j + 2
    return None


def text_runs(instructions: list[Any]) -> list[Any]:
    """Marked runs of text one after the other in one text object: `BDC … BT … ET EMC BDC …
    BT … ET EMC` becomes `… BT BDC … EMC BDC … EMC ET`, each marked-content sequence whole
    inside the text object, its state operators where they were (the `BT` dropped between
    them reset nothing the `Tm` after it does not set again); so each line after the first is
    a move from the one before (`Td`, pdfslim.compact). Not where text clips (`Tr` 4 to 7:
    the clip is made at each `ET`)."""
    if any(str(x.operator) == "Tr" and x.operands and float(x.operands[0]) >= 4 for x in instructions):
        return instructions
    out: list[Any] = []
    i = 0
    while i < len(instructions):
        end = _unit(instructions, i)
        if end is None:
            out.append(instructions[i])
            i += 1
            continue
        units = [(i, end)]
        while (following := _unit(instructions, units[-1][1])) is not None:
            units.append((units[-1][1], following))
        if len(units) == 1:
            out.extend(instructions[i:end])
            i = end
            continue
        for n, (start, stop) in enumerate(units):
            piece = instructions[start:stop]
            bt = next(k for k, x in enumerate(piece) if str(x.operator) == "BT")
            state, text = piece[1:bt], piece[bt + 1 : -2]
            if n == 0:
                out.extend([*state, piece[bt], piece[0], *text, piece[-1]])  # state, BT, BDC, text, EMC
            else:
                out.extend([*state, piece[0], *text, piece[-1]])
        out.append(instructions[units[-1][1] - 2])  # the last ET
        i = units[-1][1]
    return out


def nesting(instructions: list[Any]) -> list[Any]:
    """Without a `q … Q` that saves nothing: an empty one, and one whose only content is
    another (`q q … Q Q` saves and restores the same state twice)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, instruction in enumerate(instructions):
        op = str(instruction.operator)
        if op == "q":
            stack.append(i)
        elif op == "Q":
            if not stack:
                return instructions  # unbalanced: leave it as it is
            pairs[stack.pop()] = i
    if stack:
        return instructions
    drop: set[int] = set()
    for start, end in pairs.items():
        if end == start + 1 or (pairs.get(start + 1) == end - 1):
            drop.update((start, end))
    return [x for i, x in enumerate(instructions) if i not in drop]
