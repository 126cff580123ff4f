"""The PDF's metadata (stage 6, finishing, every profile): the XMP packet and the document
information, which say the same, and the PDF/UA claim of the archive profile.

WeasyPrint 70 writes no XMP but for a standard it is asked for (`pdf_variant`): `write_metadata`
writes one packet (one `rdf:RDF`) with title, authors, description, edition, version,
language and keywords, its dates from the build's epoch only (no date at all without one),
and keeps in it an identification WeasyPrint's XMP carries (PDF/A `pdfaid`, PDF/UA `pdfuaid`
and their extension schemas). `claim_pdfua` adds PDF/UA-1 to WeasyPrint's PDF/A
identification while it writes the archive profile (see archive.py for why 3u).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pikepdf

from . import weasy
from .finish import DocMeta
from .sourcedate import pdf_date, w3c_date

NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
}


def xmp_description(prefix: str, uri: str, properties: Iterable[tuple[str, str]]) -> str:
    """One `rdf:Description` of simple properties in a namespace, to pass to `xmp(extra=...)`."""
    body = "".join(f"<{prefix}:{name}>{escape(value)}</{prefix}:{name}>" for name, value in properties)
    return f'<rdf:Description rdf:about="" xmlns:{prefix}={quoteattr(uri)}>{body}</rdf:Description>'


def xmp(meta: DocMeta, epoch: int | None, producer: str = "", extra: Sequence[str] = ()) -> bytes:
    """The XMP packet of the briefing: one `rdf:RDF`, the `extra` descriptions (PDF/A and PDF/UA
    identification, say) inside it; every date from `epoch`, so the bytes are reproducible
    (no date at all without one: never the time of the build)."""

    def alt(name: str, value: str) -> str:
        return f'<{name}><rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt></{name}>'

    def seq(name: str, kind: str, values: Iterable[str]) -> str:
        items = "".join(f"<rdf:li>{escape(v)}</rdf:li>" for v in values)
        return f"<{name}><rdf:{kind}>{items}</rdf:{kind}></{name}>"

    dc = [alt("dc:title", meta.title)]
    if meta.authors:  # one entry, the text of /Author: PDF/A compares the two as strings
        dc.append(seq("dc:creator", "Seq", [", ".join(meta.authors)]))
    if meta.subtitle:
        dc.append(alt("dc:description", meta.subtitle))
    dc.append(seq("dc:language", "Bag", [meta.language]))
    if meta.edition:
        dc.append(seq("dc:date", "Seq", [meta.edition]))
    if meta.keywords:
        dc.append(seq("dc:subject", "Bag", meta.keywords))
    dc.append("<dc:format>application/pdf</dc:format>")
    props = ["<xmp:CreatorTool>dossier</xmp:CreatorTool>"]
    if epoch is not None:
        stamp = w3c_date(epoch)
        props[:0] = [
            f"<xmp:CreateDate>{stamp}</xmp:CreateDate>",
            f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
            f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        ]
    if producer:
        props.append(f"<pdf:Producer>{escape(producer)}</pdf:Producer>")
    if meta.keywords:
        props.append(f"<pdf:Keywords>{escape(', '.join(meta.keywords))}</pdf:Keywords>")
    if meta.version:
        props.append(f"<xmpMM:VersionID>{escape(meta.version)}</xmpMM:VersionID>")
    xmlns = " ".join(f"xmlns:{p}={quoteattr(u)}" for p, u in NAMESPACES.items())
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="" {xmlns}>{"".join(dc)}{"".join(props)}</rdf:Description>\n'
        + "".join(f"{e}\n" for e in extra)
        + "</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def write_metadata(doc: pikepdf.Pdf, meta: DocMeta, epoch: int | None) -> None:
    """The document information and the one XMP packet of the PDF, saying the same (the last
    step of `pdftags.tag`); a standard's identification in WeasyPrint's XMP is kept."""
    _docinfo(doc, meta, epoch)
    kept = _identification(doc)
    stream = pikepdf.Stream(doc, xmp(meta, epoch, str(doc.docinfo.get("/Producer", "")), kept))
    stream.Type = pikepdf.Name.Metadata
    stream.Subtype = pikepdf.Name.XML
    doc.Root.Metadata = doc.make_indirect(stream)


def _docinfo(doc: pikepdf.Pdf, meta: DocMeta, epoch: int | None) -> None:
    """The document information says what the XMP says (PDF/A wants them equal)."""
    info = doc.docinfo
    info.Title = pikepdf.String(meta.title)
    if meta.authors:
        info.Author = pikepdf.String(", ".join(meta.authors))
    if meta.subtitle:
        info.Subject = pikepdf.String(meta.subtitle)
    if meta.keywords:
        info.Keywords = pikepdf.String(", ".join(meta.keywords))
    info.Creator = pikepdf.String("dossier")
    for key in ("/CreationDate", "/ModDate"):
        if epoch is None:
            if key in info:
                del info[key]
        else:
            info[key] = pikepdf.String(pdf_date(epoch))


_KEPT = ("http://www.aiim.org/pdfa/ns/id/", "http://www.aiim.org/pdfua/ns/id/", "http://www.aiim.org/pdfa/ns/extension/")


def _identification(doc: pikepdf.Pdf) -> list[str]:
    """The `rdf:Description`s of the PDF's existing XMP that identify a standard (PDF/A, PDF/UA
    and the extension schemas PDF/A wants for them), re-serialised to go in the new packet."""
    from xml.etree import ElementTree as ET

    stream = doc.Root.get("/Metadata")
    if stream is None:
        return []
    try:
        tree = ET.fromstring(re.sub(rb"<\?xpacket[^>]*\?>", b"", stream.read_bytes()))
    except ET.ParseError:
        return []
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    kept = []
    for description in tree.iter(f"{rdf}Description"):
        names = list(description.attrib) + [c.tag for c in description]
        if any(n.startswith("{" + uri) for n in names for uri in _KEPT):
            for prefix, uri in (
                ("pdfaid", _KEPT[0]),
                ("pdfuaid", _KEPT[1]),
                ("pdfaExtension", _KEPT[2]),
                ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#"),
                ("rdf", rdf[1:-1]),
            ):
                ET.register_namespace(prefix, uri)
            # The packet's rdf:RDF declares rdf: once; ElementTree repeats it on each element it writes.
            kept.append(ET.tostring(description, encoding="unicode").replace(f' xmlns:rdf="{rdf[1:-1]}"', "", 1))
    return kept


def claim_pdfua(metadata: Any) -> None:
    """Add `pdfuaid:part` 1 to WeasyPrint's PDF/A identification, in its one `rdf:RDF`
    (WeasyPrint's `pdf_variant` takes one standard; `xmp_metadata=` would add a second RDF),
    by editing WeasyPrint's RDF on this document's metadata only (`weasy.editing_rdf`)."""

    def with_pdfua(rdf: Any, ns: dict[str, str]) -> None:
        description = rdf.find(f"{{{ns['rdf']}}}Description")
        assert description is not None
        description.set(f"{{{ns['pdfuaid']}}}part", "1")
        # PDF/A wants dc:creator equivalent to /Author, which WeasyPrint writes as the authors
        # joined by ", ": one entry, the same text (validators compare them as strings).
        for seq in rdf.iterfind(f".//{{{ns['dc']}}}creator/{{{ns['rdf']}}}Seq"):
            items = seq.findall(f"{{{ns['rdf']}}}li")
            if len(items) > 1:
                items[0].text = ", ".join(item.text or "" for item in items)
                for item in items[1:]:
                    seq.remove(item)
        rdf.append(_pdfua_extension_schema(ns["rdf"]))

    weasy.editing_rdf(metadata, with_pdfua)


EXTENSION = {
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}


def _pdfua_extension_schema(rdf_ns: str) -> Any:
    """The PDF/A extension schema describing `pdfuaid:part`: PDF/A admits in XMP only the
    predefined schemas (XMP's own, PDF/A's `pdfaid`) and those it is told about, and PDF/UA's
    identification schema is not predefined."""
    from xml.etree.ElementTree import Element, SubElement, register_namespace

    for prefix, uri in EXTENSION.items():
        register_namespace(prefix, uri)

    def sub(parent: Any, ns: str, tag: str, text: str | None = None, resource: bool = False) -> Any:
        element = SubElement(parent, f"{{{EXTENSION.get(ns, rdf_ns)}}}{tag}")
        if resource:
            element.set(f"{{{rdf_ns}}}parseType", "Resource")
        element.text = text
        return element

    description = Element(f"{{{rdf_ns}}}Description", {f"{{{rdf_ns}}}about": ""})
    schema = sub(sub(sub(description, "pdfaExtension", "schemas"), "rdf", "Bag"), "rdf", "li", resource=True)
    sub(schema, "pdfaSchema", "schema", "PDF/UA Universal Accessibility Schema")
    sub(schema, "pdfaSchema", "namespaceURI", "http://www.aiim.org/pdfua/ns/id/")
    sub(schema, "pdfaSchema", "prefix", "pdfuaid")
    prop = sub(sub(sub(schema, "pdfaSchema", "property"), "rdf", "Seq"), "rdf", "li", resource=True)
    sub(prop, "pdfaProperty", "name", "part")
    sub(prop, "pdfaProperty", "valueType", "Integer")
    sub(prop, "pdfaProperty", "category", "internal")
    sub(prop, "pdfaProperty", "description", "Indicates which part of ISO 14289 (PDF/UA) the file conforms to")
    return description
