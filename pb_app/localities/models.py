"""Localities (Community Integration Groups) and the postcode areas that place residents."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb_app.extensions import db

# The age bands a locality's population is given in, and that the oversight report counts
# voters in: (lowest age, highest age, label). The last band is open: 200 stands for no limit.
AGE_BANDS = (
    (0, 15, "Under 16"),
    (16, 24, "16 to 24"),
    (25, 34, "25 to 34"),
    (35, 44, "35 to 44"),
    (45, 54, "45 to 54"),
    (55, 64, "55 to 64"),
    (65, 74, "65 to 74"),
    (75, 200, "75 or over"),
)


class Locality(db.Model):
    """A locality of the partnership and its Community Integration Group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    population: Mapped[int]

    postcode_areas: Mapped[list[PostcodeArea]] = relationship(
        back_populates="locality", order_by="PostcodeArea.prefix"
    )
    age_populations: Mapped[list[LocalityPopulation]] = relationship(
        back_populates="locality",
        order_by="LocalityPopulation.min_age",
        cascade="all, delete-orphan",
    )

    __table_args__ = (CheckConstraint("population >= 0", name="population_not_negative"),)

    def __repr__(self) -> str:
        return f"<Locality {self.slug}>"


class PostcodeArea(db.Model):
    """A postcode prefix (district ``TD1`` or sector ``TD1 3``) that lies in one locality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8), unique=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)

    locality: Mapped[Locality] = relationship(back_populates="postcode_areas")

    def __repr__(self) -> str:
        return f"<PostcodeArea {self.prefix}>"


class LocalityPopulation(db.Model):
    """How many people of a locality are in one age band; the bands add up to its population."""

    id: Mapped[int] = mapped_column(primary_key=True)
    locality_id: Mapped[int] = mapped_column(ForeignKey("locality.id"), index=True)
    age_band: Mapped[str] = mapped_column(String(20))
    min_age: Mapped[int]
    max_age: Mapped[int]
    population: Mapped[int]

    locality: Mapped[Locality] = relationship(back_populates="age_populations")

    __table_args__ = (
        UniqueConstraint("locality_id", "age_band", name="one_figure_per_band"),
        CheckConstraint("population >= 0", name="band_population_not_negative"),
        CheckConstraint("min_age BETWEEN 0 AND max_age", name="band_ages_in_order"),
    )

    def __repr__(self) -> str:
        return f"<LocalityPopulation {self.age_band}: {self.population}>"
