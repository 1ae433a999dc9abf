"""The schema of the knowledge base: entity types, their files and fields.

Every record is a plain ``dict`` with ``type`` and ``key`` plus the fields
below, named exactly as in the TOML files (and so in JSON output). Plain dicts
keep loading cheap at 100,000 records; this module is the one place that says
which fields exist, which are required and what values they may take.
Standard library only.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from .text import INVISIBLE_RANGES


class Evidence(str, enum.Enum):
    IN_VITRO = "in-vitro"
    ANIMAL = "animal"
    HUMAN = "human"
    CLINICAL = "clinical"
    REVIEW = "review"


class Kind(str, enum.Enum):
    RESEARCH = "research"
    REVIEW = "review"
    METHODS = "methods"
    POSITION_STATEMENT = "position-statement"


class Area(str, enum.Enum):
    DIAGNOSTICS = "diagnostics"
    THERAPEUTICS = "therapeutics"
    DRUG_DELIVERY = "drug-delivery"
    REGENERATIVE = "regenerative"
    COSMETICS = "cosmetics"
    MANUFACTURING = "manufacturing"
    RESEARCH_TOOLS = "research-tools"


class Category(str, enum.Enum):
    IMMUNE = "immune"
    NERVOUS = "nervous"
    CARDIOVASCULAR = "cardiovascular"
    CANCER = "cancer"
    METABOLIC = "metabolic"
    MUSCULOSKELETAL = "musculoskeletal"
    SKIN = "skin"
    LIVER = "liver"
    LUNG = "lung"
    KIDNEY = "kidney"
    BLOOD = "blood"
    DIGESTIVE = "digestive"
    SYSTEMIC = "systemic"


class Vesicle(str, enum.Enum):
    EXOSOME = "exosome"
    EV = "EV"
    SMALL_EV = "small EV"
    MICROVESICLE = "microvesicle"
    MICROPARTICLE = "microparticle"
    EXOSOME_LIKE = "exosome-like vesicle"


# Closed sets the commands take beside the fields' own, here so that help
# text is built from them without importing the code that uses them.


class Style(str, enum.Enum):
    """Text citation styles (`exo cite --style`)."""

    REVIEW = "review"
    APA = "apa"
    VANCOUVER = "vancouver"
    HARVARD = "harvard"
    INTEXT = "intext"


class CiteFormat(str, enum.Enum):
    """Output formats of `exo cite --format`."""

    TEXT = "text"
    BIBTEX = "bibtex"
    RIS = "ris"
    CSL_JSON = "csl-json"


# The orders `exo studies --sort` knows, and the axes of `exo map`.
STUDY_SORTS = ("key", "year", "title", "journal", "first-author")
MAP_AXES = ("source", "category", "disease", "topic", "evidence", "year", "kind", "vesicle")


# Other words people use for the values of the closed sets (filters accept them).
CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {
        "immune": ("immunology", "autoimmune", "inflammation"),
        "nervous": ("neurology", "neurological", "brain", "nerve", "cns"),
        "cardiovascular": ("cardiac", "heart", "vascular", "cardiology"),
        "cancer": ("oncology", "tumor", "tumour"),
        "metabolic": ("metabolism", "endocrine"),
        "musculoskeletal": ("bone", "joint", "muscle", "orthopedic", "orthopaedic"),
        "skin": ("dermatology", "wound"),
        "liver": ("hepatic", "hepatology"),
        "lung": ("pulmonary", "respiratory"),
        "kidney": ("renal", "nephrology"),
        "blood": ("hematology", "haematology"),
        "digestive": ("gut", "bowel", "gastrointestinal"),
        "systemic": ("aging", "ageing"),
    },
    "evidence": {
        "in-vitro": ("cells", "cell culture"),
        "animal": ("in vivo", "mouse", "rat", "preclinical"),
        "human": ("patients", "human samples"),
        "clinical": ("trial", "clinic"),
        "review": ("reviews",),
    },
    "kind": {"position-statement": ("guideline", "statement")},
    "area": {"research-tools": ("tools",), "drug-delivery": ("delivery",)},
}


@dataclass(frozen=True)
class Field:
    """One field of an entity: its TOML type and what it may hold.

    ``kind`` is one of: str, int, bool, list (of str), date (a TOML date or
    an ISO string). ``link`` names the entity type a str/list field refers
    to by key; ``choices`` closes the set of allowed values; ``pattern`` is
    a regular expression a str value must match in full (``form`` says the
    same for people, for an error message).
    """

    name: str
    kind: str = "str"
    required: bool = False
    link: str | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""
    pattern: str | None = None
    form: str = ""
    what: str = ""  # what a value of the pattern is called, for messages ("a DOI")
    range: tuple[int, int] | None = None  # the values an int field may take
    shown_as: str | None = None  # the name `exo show` lists a link field's records under
    search: str | None = "auto"  # the index column (INDEX_COLUMNS) it is searched in; None: not searched
    names: bool = False  # a name people call the record by (filters and search take it as the record)

    @property
    def column(self) -> str | None:
        """The index column of the field: as declared, else a tag for links,
        closed sets and lists, text for other strings, "other" for numbers."""
        if self.search != "auto":
            return self.search
        if self.link or self.choices or self.kind == "list":
            return "tag"
        return {"str": "text", "int": "other"}.get(self.kind)


# The columns of the search index, in the order a match counts: the key, a
# name or an alias more than a title, a title more than a linked tag, a tag
# more than a note; "author" holds surnames.
INDEX_COLUMNS = ("key", "alias", "label", "author", "tag", "text", "other", "abstract")
# The columns of the user's own fields (annotations.toml), for ranking.
ANNOTATION_COLUMNS = {"tags": "tag", "user_note": "text"}


def _choices(e: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(m.value for m in e)


# NOTE: an evidence level or model is only as good as the words it rests on,
# so a study says which: the few words of the review's text or of the
# reference's own title that decide it, quoted as printed, then (after "; ")
# how they decide it when they do not name the level outright.
#   evidence_basis = 'title: "in APP/PS1 mice"'
#   evidence_basis = 'review: "lung cancer cell line A549"'
#   evidence_basis = 'title: "Human mesenchymal stem cells secrete"; a result in cells, no living body named'
# The words decide a level when they leave only that one plausible: in vitro,
# a culture, a cell line or a result in cells with no body named (in-vitro);
# an animal, an animal model, an experimentally induced disease or "in vivo"
# (animal); people or their samples (human); patients treated (clinical); a
# review, an update or a position statement, or a title naming a field
# rather than a finding (review). A result in a disease with no organism
# named could be animals or patients, so it decides nothing; the level is
# then left unset, which every count shows as "not stated".
EVIDENCE_BASIS_PATTERN = r'(review|title): "[^"]+"(; \S.*)?'
EVIDENCE_BASIS_FORM = 'review: "WORDS" or title: "WORDS", optionally followed by "; how they decide it"'
NOT_STATED = "not stated"


@dataclass(frozen=True)
class EntityType:
    """An entity type: its name (the ``type`` of its records) and file."""

    name: str
    file: str
    plural: str
    label_field: str
    fields: tuple[Field, ...]
    table: str | None = None  # records live under this sub-table (review.toml sections)
    narrower: str = "narrower"  # what `exo show` calls the records whose parent this is
    label_with: tuple[str, ...] = ()  # fields said before the label ("GMP: good manufacturing practice")

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def link_to(self, type_name: str) -> Field | None:
        """This type's field that links to records of ``type_name`` (the
        ``parent`` of a type linking to itself), or None."""
        for f in self.fields:
            if f.link == type_name:
                return f
        return None

    @property
    def parent(self) -> Field | None:
        """The field naming a broader record of the same type, if records of
        this type form a hierarchy (cancer > lung cancer)."""
        f = self.field("parent")
        return f if f is not None and f.link == self.name else None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @functools.cached_property
    def searched(self) -> tuple[tuple[Field, str], ...]:
        """(field, index column) of every searched field, the label field first (as a label)."""
        out = [(f, "label" if f.name == self.label_field else f.column) for f in self.fields]
        out = [(f, c) for f, c in out if c is not None]
        return tuple(sorted(out, key=lambda fc: fc[0].name != self.label_field))

    @functools.cached_property
    def name_fields(self) -> tuple[Field, ...]:
        """The fields holding names of a record (its label field first)."""
        return tuple(sorted((f for f in self.fields if f.names or f.name == self.label_field), key=lambda f: f.name != self.label_field))


# Study fields `exo import` may fill in itself; a study lists those it did in `suggested`.
SUGGESTABLE = ("diseases", "sources", "mechanisms", "evidence")

# A DOI as a data file may hold it: "10.", the registrant's digits, "/" and a
# suffix of visible characters. Braces and backslashes are refused: a DOI is
# written verbatim into BibTeX (biblatex reads it so), where either could end
# the field or start a command. Use with ``fullmatch``.
DOI_RE = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/[^\s{}\\\x00-\x1f\x7f" + INVISIBLE_RANGES + "]+")

DOI_FORM = "10.NNNN/suffix, without doi: or a URL"
YEARS = (1000, 2999)


STUDY = EntityType(
    "study",
    "studies.toml",
    "studies",
    "title",
    (
        Field("title", required=True, help="title as printed"),
        Field("authors", "list", required=True, help='authors as printed, "Surname, I."', search="author"),
        Field("et_al", "bool", help="the review printed only these authors and 'et al.'"),
        Field("year", "int", required=True, range=YEARS),
        Field("journal", help="journal as printed (abbreviated), without the punctuation the list adds after it", search="other"),
        Field(
            "journal_as_printed",
            help='the journal with the period the reference list prints after it ("Theranostics."), where it does',
            search=None,
        ),
        Field("volume", search=None),
        Field("issue", search=None),
        Field("pages", help="pages or article number", search=None),
        Field("doi", pattern=DOI_RE.pattern, form=DOI_FORM, what="a DOI", search=None),
        Field("doi_note", help="how the review printed a DOI we corrected"),
        Field("sources", "list", link="source"),
        Field("diseases", "list", link="disease"),
        Field("topics", "list", link="topic", help="review sections that cite it", shown_as="cited_in"),
        Field("mechanisms", "list", help="miRNAs, siRNAs, pathways, molecules"),
        Field("evidence", choices=_choices(Evidence)),
        Field("model", "list", help="species or system"),
        Field(
            "evidence_basis",
            help="the words of the review or of the title that decide evidence and model",
            pattern=EVIDENCE_BASIS_PATTERN,
            form=EVIDENCE_BASIS_FORM,
            search=None,
        ),
        Field("vesicle", "list", choices=_choices(Vesicle)),
        Field("kind", choices=_choices(Kind)),
        Field("note", help="what the review says the study showed"),
        Field("pmid", help="PubMed identifier", search=None),
        Field("abstract", search="abstract"),
        Field("keywords", "list", help="keywords as the source gave them", search="alias"),
        Field("url", search=None),
        Field(
            "suggested",
            "list",
            choices=SUGGESTABLE,
            help="annotation fields filled in by `exo import` from words of the title, abstract and keywords, not curated",
            search=None,
        ),
    ),
)

DISEASE = EntityType(
    "disease",
    "diseases.toml",
    "diseases",
    "name",
    (
        Field("name", required=True),
        Field("aliases", "list", search="alias", names=True),
        Field("category", required=True, choices=_choices(Category)),
        Field("parent", link="disease", help="a broader disease that includes this one"),
        Field("summary"),
    ),
)

SOURCE = EntityType(
    "source",
    "sources.toml",
    "sources",
    "name",
    (
        Field("name", required=True),
        Field("abbreviation", search="label", names=True),
        Field("aliases", "list", search="alias", names=True),
        Field("tissue"),
        Field("msc", "bool", help="a mesenchymal stem/stromal cell source"),
        Field("parent", link="source", help="a broader source that includes this one"),
        Field("summary"),
    ),
)

COMPANY = EntityType(
    "company",
    "companies.toml",
    "companies",
    "name",
    (
        Field("name", required=True, help="as printed in the review's Table 1"),
        Field("focus", help="what it works on"),
        Field("areas", "list", choices=_choices(Area), help="what Table 1 says it works on; unset where it names only a disease"),
        Field("products", "list", search="alias", names=True),
        Field("diseases", "list", link="disease"),
        Field("conditions", "list", help="conditions Table 1 names that no study of the review covers"),
        Field("sources", "list", link="source"),
        Field("note"),
    ),
)

TERM = EntityType(
    "term",
    "glossary.toml",
    "terms",
    "expansion",
    (
        Field("abbreviation", required=True, search="label", names=True),
        Field("expansion", required=True),
        Field("glossary", "bool", help="listed in the review's glossary"),
        Field("expansion_note"),
        Field("disease", link="disease"),
        Field("source", link="source"),
    ),
    label_with=("abbreviation",),
)

TOPIC = EntityType(
    "topic",
    "review.toml",
    "topics",
    "title",
    (
        Field("title", required=True, help="section heading as printed"),
        Field("parent", link="topic"),
        Field("order", "int", range=(0, 100_000), search=None),
        Field("summary"),
    ),
    table="sections",
    narrower="subsections",
)

REVIEW = EntityType(
    "review",
    "review.toml",
    "reviews",
    "title",
    (
        Field("title", required=True),
        Field("authors", "list", required=True, search="author"),
        Field("year", "int", required=True, range=YEARS),
        Field("journal", search="other"),
        Field("volume", search=None),
        Field("article", search=None),
        Field("doi", pattern=DOI_RE.pattern, form=DOI_FORM, what="a DOI", search=None),
        Field("received", "date"),
        Field("accepted", "date"),
        Field("published", "date"),
        Field("keywords", "list", search="alias"),
        Field("summary"),
    ),
)

# Order matters: it is the order `exo show KEY` tries when a key is ambiguous.
ENTITY_TYPES: tuple[EntityType, ...] = (STUDY, DISEASE, SOURCE, COMPANY, TOPIC, TERM, REVIEW)
BY_NAME = {t.name: t for t in ENTITY_TYPES}
BY_PLURAL = {t.plural: t for t in ENTITY_TYPES}
DATA_FILES = tuple(dict.fromkeys(t.file for t in ENTITY_TYPES))
# The user's tags and notes, in the library folder: read when a catalog is
# opened and merged into its records, never part of the store (a change to
# one tag must not re-index every study).
ANNOTATIONS_FILE = "annotations.toml"
# What a user may attach to any record (in ANNOTATIONS_FILE), beside its schema fields.
ANNOTATION_FIELDS = ("tags", "user_note")


def signature() -> str:
    """A short fingerprint of the schema (types, files, fields and what they may hold)."""
    import zlib

    return f"{zlib.crc32(repr(ENTITY_TYPES).encode()):08x}"


def entity_type(name: str) -> EntityType:
    """Look up an entity type by singular or plural name."""
    return BY_NAME.get(name) or BY_PLURAL[name]


def names_of(record: dict) -> list[str]:
    """What a record is called: the values of its name fields, its label first."""
    out: list[str] = []
    for f in BY_NAME[record["type"]].name_fields:
        value = record.get(f.name)
        out += [v for v in value if isinstance(v, str)] if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [n for n in out if n]


def label(record: dict) -> str:
    """The one-line human name of a record."""
    t = BY_NAME[record["type"]]
    if t.label_with:
        return ": ".join(str(record.get(name) or "") for name in (*t.label_with, t.label_field))
    value = record.get(t.label_field)
    return str(value) if value is not None else record["key"]
