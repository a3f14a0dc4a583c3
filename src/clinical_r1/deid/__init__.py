"""De-identification: no patient identifier leaves the machine. See docs/deid.md.

    from clinical_r1.deid import Deidentifier
    deid = Deidentifier()                       # placeholders: [NAME-1], [DATE+3d], [PHONE-1] ...
    session = deid.session("record-17")         # one record: consistent replacements, one date anchor
    clean = session.deidentify(text)            # session.mapping: replacement -> original (keep local)

The model layer applies it as a policy (`ModelSpec.deid`, see `clinical_r1.llm.deid_guard`), and
`clinical-r1 records deid` applies it to files.
"""

from clinical_r1.deid.detect import CATEGORIES, Category, Span, find_spans
from clinical_r1.deid.replace import DeidSession, parse_date, reidentify
from clinical_r1.deid.stage import DeidConfig, Deidentifier, DeidStats, deidentify_file, reidentify_file

__all__ = [
    "CATEGORIES",
    "Category",
    "DeidConfig",
    "DeidSession",
    "DeidStats",
    "Deidentifier",
    "Span",
    "deidentify_file",
    "find_spans",
    "parse_date",
    "reidentify",
    "reidentify_file",
]
