"""Filling the number and date fields of a signed document in an incremental update (form filling)."""

from __future__ import annotations

import io
from collections.abc import Mapping

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

FONT_RESOURCE = "/TiRo"
FIELD_BASELINE = 0.3  # the text baseline sits this many font sizes above the field's bottom edge


def _appearance(
    writer: IncrementalPdfFileWriter, value: str, width: float, height: float, size: float
) -> generic.IndirectObject:
    """A right-aligned appearance stream of `value` (digits) in Times-Roman."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text_width = stringWidth(value, "Times-Roman", size)
    x, y = max(0.0, width - text_width - 1), size * FIELD_BASELINE
    content = f"/Tx BMC q BT {FONT_RESOURCE} {size:g} Tf 0 g {x:.2f} {y:.2f} Td ({value}) Tj ET Q EMC"
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Times-Roman"),
            generic.NameObject("/Encoding"): generic.NameObject("/WinAnsiEncoding"),
        }
    )
    stream = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, width, height)]
            ),
            generic.NameObject("/Resources"): generic.DictionaryObject(
                {
                    generic.NameObject("/Font"): generic.DictionaryObject(
                        {generic.NameObject(FONT_RESOURCE): writer.add_object(font)}
                    ),
                }
            ),
        },
        stream_data=content.encode("ascii"),
    )
    return writer.add_object(stream)


def fill(pdf: bytes, values: Mapping[str, str], *, size: float = 13) -> bytes:
    """Set the text fields named in `values` (digits only) and their appearances; a new revision."""
    for name, value in values.items():
        if not value.isascii() or not all(ch.isalnum() for ch in value):
            raise ValueError(f"field {name} takes letters and digits only, not {value!r}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    form = writer.root["/AcroForm"]
    remaining = dict(values)
    for ref in form["/Fields"]:
        widget = ref.get_object()
        name = str(widget.get("/T"))
        if name not in remaining:
            continue
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        value = remaining.pop(name)
        widget[generic.NameObject("/V")] = generic.TextStringObject(value)
        widget[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): _appearance(writer, value, abs(x2 - x1), abs(y2 - y1), size)}
        )
        writer.update_container(widget)
    if remaining:
        raise ValueError(f"the PDF has no field {', '.join(sorted(remaining))}")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
