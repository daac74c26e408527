"""The equalities questions: the nine protected characteristics, age band and area type.

Each question is a column of ``EqualitiesResponse``; every answer is one of its option keys,
``prefer_not_to_say``, or ``not_answered`` when the question was skipped. The age bands are
the localities' population bands (``AGE_BANDS``), so self-reported ages compare with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pb_app.localities.models import AGE_BANDS

PREFER_NOT_TO_SAY = "prefer_not_to_say"
NOT_ANSWERED = "not_answered"
NOT_KNOWN = "not_known"
# A report's row for the voters who did not answer the questionnaire at all.
NOT_RESPONDED_LABEL = "Did not fill in the questionnaire"
AGE_BAND_KEYS = ("under_16", "16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus")
# Answer key -> (youngest, oldest age), from the population bands in the same order.
AGE_BAND_AGES = {key: (low, high) for key, (low, high, _) in zip(AGE_BAND_KEYS, AGE_BANDS,
                                                                strict=True)}


@dataclass(frozen=True)
class Question:
    """One monitoring question: its key (the column), wording and options (key, label)."""

    key: str
    label: str
    options: tuple[tuple[str, str], ...]
    is_asked: bool = True

    def labels(self) -> dict[str, str]:
        """Every answer key this question can hold, with its label, in display order."""
        if not self.is_asked:
            return dict(self.options)
        return {
            **dict(self.options),
            PREFER_NOT_TO_SAY: "Prefer not to say",
            NOT_ANSWERED: "Not answered",
        }


QUESTIONS: tuple[Question, ...] = (
    Question(
        "age_band",
        "What is your age?",
        tuple((key, label) for key, (_, _, label) in zip(AGE_BAND_KEYS, AGE_BANDS, strict=True)),
    ),
    Question(
        "disability",
        "Do you have a physical or mental health condition or illness lasting, "
        "or expected to last, 12 months or more?",
        (("yes", "Yes"), ("no", "No")),
    ),
    Question(
        "gender_reassignment",
        "Do you consider yourself to be trans, or have a trans history?",
        (("yes", "Yes"), ("no", "No")),
    ),
    Question(
        "marital_status",
        "What is your legal marital or registered civil partnership status?",
        (
            ("never_married", "Never married and never registered a civil partnership"),
            ("married", "Married"),
            ("civil_partnership", "In a registered civil partnership"),
            ("separated", "Separated"),
            ("divorced_dissolved", "Divorced, or civil partnership dissolved"),
            ("widowed", "Widowed, or surviving partner from a civil partnership"),
        ),
    ),
    Question(
        "pregnancy_maternity",
        "Are you pregnant, or have you given birth in the last 26 weeks?",
        (
            ("pregnant", "Pregnant"),
            ("recent_birth", "Given birth in the last 26 weeks"),
            ("neither", "Neither"),
        ),
    ),
    Question(
        "ethnic_group",
        "What is your ethnic group?",
        (
            ("white_scottish", "White: Scottish"),
            ("white_other_british", "White: other British"),
            ("white_other", "White: any other white group"),
            ("mixed", "Mixed or multiple ethnic groups"),
            ("asian", "Asian, Scottish Asian or British Asian"),
            ("african_caribbean_black", "African, Caribbean or Black"),
            ("other", "Other ethnic group"),
        ),
    ),
    Question(
        "religion",
        "What religion, religious denomination or body do you belong to?",
        (
            ("none", "None"),
            ("church_of_scotland", "Church of Scotland"),
            ("roman_catholic", "Roman Catholic"),
            ("other_christian", "Other Christian"),
            ("muslim", "Muslim"),
            ("hindu", "Hindu"),
            ("buddhist", "Buddhist"),
            ("sikh", "Sikh"),
            ("jewish", "Jewish"),
            ("other", "Another religion or body"),
        ),
    ),
    Question("sex", "What is your sex?", (("female", "Female"), ("male", "Male"))),
    Question(
        "sexual_orientation",
        "Which of the following best describes your sexual orientation?",
        (
            ("straight", "Straight or heterosexual"),
            ("gay_lesbian", "Gay or lesbian"),
            ("bisexual", "Bisexual"),
            ("other", "Other sexual orientation"),
        ),
    ),
)

AREA_QUESTION = Question(
    "area_type",
    "Area type (worked out from the postcode, which is not kept)",
    (
        ("urban", "Urban (a settlement of 3,000 people or more)"),
        ("rural", "Rural"),
        (NOT_KNOWN, "Not known"),
    ),
    is_asked=False,
)

ALL_QUESTIONS: tuple[Question, ...] = (*QUESTIONS, AREA_QUESTION)
QUESTION_KEYS = tuple(question.key for question in ALL_QUESTIONS)


def question(key: str) -> Question:
    """The question whose key is ``key``."""
    return next(item for item in ALL_QUESTIONS if item.key == key)


def age_band_reaches(answer: str, minimum_age: int) -> bool:
    """False only for an age band answer wholly below ``minimum_age``."""
    ages = AGE_BAND_AGES.get(answer)
    return ages is None or ages[1] >= minimum_age
