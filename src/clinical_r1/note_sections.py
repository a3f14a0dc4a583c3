"""Clinical note sections: keep what the patient presented with, drop what gives the answer away.

A discharge summary (MIMIC-IV `note/discharge.csv`, a FHIR DocumentReference or Composition) is written
after the diagnosis was made: its "Discharge Diagnosis", "Brief Hospital Course", "Discharge
Medications", "Followup Instructions", ... sections state or imply the answer. A case the model must
diagnose may show only the presentation: chief complaint, history, examination, results.

`presentation(text)` splits a note at heading lines ("Chief Complaint:", "History of Present Illness:")
and keeps only the sections on a fixed list (`KEEP`), in note order. It is a whitelist on purpose: a
heading it does not know never reopens a kept section after an answer section, so an unexpected
"Transitional Issues:" or "Discharge Diagnoses:" is dropped, not leaked. Inside a kept section,
sub-blocks about the discharge ("DISCHARGE PHYSICAL EXAM:", "DISCHARGE LABS:") are dropped too, up to
the next admission sub-block or section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Presentation sections, by their MIMIC-IV headings (lower case, spaces collapsed) -> the label kept.
KEEP: dict[str, str] = {
    "chief complaint": "Chief Complaint",
    "history of present illness": "History of Present Illness",
    "history of the present illness": "History of Present Illness",
    "hpi": "History of Present Illness",
    "past medical history": "Past Medical History",
    "pmh": "Past Medical History",
    "social history": "Social History",
    "family history": "Family History",
    "review of systems": "Review of Systems",
    "ros": "Review of Systems",
    "physical exam": "Physical Exam",
    "physical examination": "Physical Exam",
    "admission physical exam": "Physical Exam",
    "admission exam": "Physical Exam",
    "pertinent results": "Pertinent Results",
}
# Headings of sections that state or follow from the diagnosis (matched anywhere in the heading).
_ANSWER = re.compile(
    r"diagnos|course|discharge|disposition|procedure|surgery|operation|follow|instruction|transitional"
    r"|medication|condition|plan\b|assessment|outcome|summary|recommendation|code status",
    re.IGNORECASE,
)
# Every other heading the MIMIC template has (their content is neither presentation nor answer).
_OTHER = frozenset({"name", "unit no", "admission date", "discharge date", "date of birth", "sex", "service",
                    "allergies", "attending"})  # fmt: skip
# A heading: at the start of a line, a short label (no digits: lab lines like "___ 07:20AM" are
# not headings), a colon, then the rest of the line (often empty).
_HEADING = re.compile(r"^[ \t]*([A-Za-z][A-Za-z /&,()'-]{1,60}?)[ \t]*:(.*)$")
# Inside a kept section: sub-blocks about the discharge, and the admission sub-blocks that end them.
# A sub-heading line: the words, then a colon (or nothing else on the line); not a sentence of the HPI
# that happens to begin "Discharge from rehab ...".
_DISCHARGE_BLOCK = re.compile(r"^[ \t]*(on |at )?discharge\b[^:.]{0,40}:", re.IGNORECASE)
_ADMISSION_BLOCK = re.compile(r"^[ \t]*(on |at )?(admission|admit)\b[^:.]{0,40}:", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    title: str  # as written ("Chief Complaint")
    text: str  # the section's lines, stripped


def _label(heading: str) -> str:
    return " ".join(heading.split()).lower()


def split_sections(text: str) -> list[Section]:
    """The note's sections in order; text before the first heading is a section titled ''.

    Only known headings (`KEEP`, answer headings, the MIMIC header fields) start a section; any other
    "Label:" line is content of the current one (exam lines "HEENT: ...", lab sub-headings).
    """
    sections: list[Section] = []
    title, lines = "", []
    for line in text.splitlines():
        match = _HEADING.match(line)
        label = _label(match.group(1)) if match else ""
        if match and (
            label in KEEP or label in _OTHER or (_ANSWER.search(label) and not _is_sub_block(label))
        ):
            if title or any(s.strip() for s in lines):
                sections.append(Section(title, "\n".join(lines).strip()))
            title, lines = match.group(1).strip(), [match.group(2)] if match.group(2).strip() else []
        else:
            lines.append(line)
    if title or any(s.strip() for s in lines):
        sections.append(Section(title, "\n".join(lines).strip()))
    return sections


def _is_sub_block(label: str) -> bool:
    """'DISCHARGE PHYSICAL EXAM' / 'DISCHARGE LABS' sit inside kept sections; they are cut there."""
    return bool(_DISCHARGE_BLOCK.match(label)) and any(
        word in label for word in ("exam", "lab", "vital", "result", "study", "studies")
    )


def is_answer_heading(title: str) -> bool:
    """Does a section with this heading state or follow from the diagnosis?"""
    label = _label(title)
    return label not in KEEP and bool(_ANSWER.search(label))


def _without_discharge_blocks(text: str) -> str:
    kept, dropping = [], False
    for line in text.splitlines():
        capitals = line.strip().isupper()  # "DISCHARGE LABS" with no colon is a sub-heading too
        if _DISCHARGE_BLOCK.match(line) or (capitals and line.strip().startswith("DISCHARGE")):
            dropping = True
        elif _ADMISSION_BLOCK.match(line) or (capitals and line.strip().startswith(("ADMISSION", "ADMIT"))):
            dropping = False
        if not dropping:
            kept.append(line)
    return "\n".join(kept).strip()


def presentation(text: str, keep_unheaded: bool = False) -> str:
    """The presentation sections of a note as "Heading:\\ntext" blocks, answer sections removed.

    `keep_unheaded`: a note with no known heading at all is kept whole (a short free-text note in a
    FHIR DocumentReference); a MIMIC discharge summary always has headings, so it is never kept whole.
    """
    sections = split_sections(text)
    if keep_unheaded and all(not s.title for s in sections):
        return text.strip()
    return presentation_of(sections)


def presentation_of(sections: list[Section]) -> str:
    """`presentation` of a note already split (a caller that also reads other sections splits once)."""
    blocks = []
    for section in sections:
        label = KEEP.get(_label(section.title))
        body = _without_discharge_blocks(section.text) if label else ""
        if label and body:
            blocks.append(f"{label}:\n{body}")
    return "\n\n".join(blocks)


def section_text(sections: list[Section], *titles: str) -> str | None:
    """The text of the first section with one of these headings (case-insensitive), or None."""
    wanted = {_label(title) for title in titles}
    return next((s.text for s in sections if _label(s.title) in wanted), None)
