"""Reference figures by city and year (local average wage, minimum wage) and retirement ages.

Pure: the shell reads the JSON (config/reference-cn.json) and hands the mapping to
`ReferenceData.from_mapping`. Keys starting with "_" are notes and are ignored. A minimum wage
is a figure with an effective date (it changes mid-year); `min_wage_figure` returns the newest
one in force on a day and says whether the list is known to be complete for that year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any


class BadReferenceData(ValueError):
    """The reference mapping is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class CityFigures:
    """One city's figures.

    local_avg: the average monthly wage *of* each calendar year (published the year after);
    min_wage: (effective date, monthly minimum wage) in date order; min_wage_through: the last
    year the minimum-wage list is known to be complete for.
    """

    name: str
    aliases: frozenset[str]
    local_avg: Mapping[int, Decimal]
    min_wage: tuple[tuple[date, Decimal], ...]
    min_wage_through: int | None
    # LCL Art. 14 para. 2 item 3 as the city's courts read it: False where the employer may
    # decline a third fixed term (e.g. Shanghai); True (the statute's wording) by default.
    second_contract_binding: bool = True


@dataclass(frozen=True)
class MinWage:
    """The minimum wage in force on a day: the figure, when it took effect, and whether a later
    change could be missing (the day lies past the year the list is known complete for)."""

    amount: Decimal
    effective: date
    stale: bool


@dataclass(frozen=True)
class ReferenceData:
    cities: Mapping[str, CityFigures]
    retirement_ages: Mapping[str, int]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ReferenceData:
        """Parse the JSON shape documented in config/reference-cn.json; BadReferenceData if bad."""
        if not isinstance(data, Mapping):
            raise BadReferenceData("reference data must be a JSON object")
        cities_raw = data.get("cities")
        if not isinstance(cities_raw, Mapping):
            raise BadReferenceData("reference data needs a 'cities' object")
        cities = {
            key.lower(): _city(key.lower(), raw)
            for key, raw in cities_raw.items()
            if not key.startswith("_")
        }
        ages = {
            key: _int(f"retirement_ages.{key}", value)
            for key, value in _entries(data.get("retirement_ages", {}))
        }
        return cls(MappingProxyType(cities), MappingProxyType(ages))

    def city(self, name: str) -> CityFigures | None:
        """A city by its key or any alias, ignoring case and surrounding spaces."""
        wanted = name.strip().lower()
        if wanted in self.cities:
            return self.cities[wanted]
        return next((c for c in self.cities.values() if wanted in c.aliases), None)

    def local_avg(self, city: str, year: int) -> Decimal | None:
        """The average monthly wage of `year` (Art. 47 uses the year before termination)."""
        figures = self.city(city)
        return None if figures is None else figures.local_avg.get(year)

    def min_wage(self, city: str, when: int | date) -> Decimal | None:
        """The monthly minimum wage in force on a date; for a year, the one in force at its end.

        Standards only rise, so the year-end figure is never below one in force during the year.
        None when the city is unknown or `when` lies outside the known period.
        """
        figures = self.city(city)
        on = date(when, 12, 31) if isinstance(when, int) else when
        if figures is None or figures.min_wage_through is None or on.year > figures.min_wage_through:
            return None
        in_force = [amount for start, amount in figures.min_wage if start <= on]
        return in_force[-1] if in_force else None

    def min_wage_figure(self, city: str, on: date) -> MinWage | None:
        """The newest figure that took effect on or before `on`; None when there is none."""
        figures = self.city(city)
        if figures is None:
            return None
        in_force = [(start, amount) for start, amount in figures.min_wage if start <= on]
        if not in_force:
            return None
        start, amount = in_force[-1]
        through = figures.min_wage_through
        return MinWage(amount, start, through is None or on.year > through)

    def second_contract_binding(self, city: str) -> bool:
        figures = self.city(city)
        return True if figures is None else figures.second_contract_binding

    def retirement_age(self, category: str) -> int | None:
        return self.retirement_ages.get(category)


def _entries(raw: Any) -> list[tuple[str, Any]]:
    if not isinstance(raw, Mapping):
        raise BadReferenceData(f"expected an object, got {raw!r}")
    return [(str(k), v) for k, v in raw.items() if not str(k).startswith("_")]


def _amount(where: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadReferenceData(f"{where}: {value!r} is not an amount") from None
    if isinstance(value, bool) or not amount.is_finite() or amount <= 0:
        raise BadReferenceData(f"{where}: {value!r} is not a positive amount")
    return amount


def _int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadReferenceData(f"{where}: {value!r} is not a whole number")
    return value


def _city(key: str, raw: Any) -> CityFigures:
    if not isinstance(raw, Mapping):
        raise BadReferenceData(f"cities.{key}: expected an object")
    local_avg = {}
    for year, entry in _entries(raw.get("local_avg_monthly", {})):
        value = entry.get("amount") if isinstance(entry, Mapping) else entry
        if not year.isdigit():
            raise BadReferenceData(f"cities.{key}.local_avg_monthly: {year!r} is not a year")
        local_avg[int(year)] = _amount(f"cities.{key}.local_avg_monthly.{year}", value)
    min_wage = []
    for start, entry in _entries(raw.get("min_wage_monthly", {})):
        # A figure alone, or {"amount": …, "source": …} so each carries where it was confirmed.
        value = entry.get("amount") if isinstance(entry, Mapping) else entry
        try:
            effective = date.fromisoformat(start)
        except ValueError:
            raise BadReferenceData(
                f"cities.{key}.min_wage_monthly: {start!r} is not a YYYY-MM-DD date"
            ) from None
        min_wage.append((effective, _amount(f"cities.{key}.min_wage_monthly.{start}", value)))
    through = raw.get("min_wage_known_through")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise BadReferenceData(f"cities.{key}.aliases: expected a list of names")
    reading = raw.get("open_ended_second_term", "binding")
    if reading not in ("binding", "employer_may_decline"):
        raise BadReferenceData(f"cities.{key}.open_ended_second_term: {reading!r} is not "
                               "'binding' or 'employer_may_decline'")
    return CityFigures(
        second_contract_binding=reading == "binding",
        name=key,
        aliases=frozenset(a.strip().lower() for a in aliases),
        local_avg=MappingProxyType(local_avg),
        min_wage=tuple(sorted(min_wage)),
        min_wage_through=None if through is None else _int(f"cities.{key}.min_wage_known_through",
                                                            through),
    )
