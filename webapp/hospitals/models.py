"""A hospital or other health facility that a patient may be referred to."""
import re
from dataclasses import dataclass

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Where an extension starts: "ext", "ext.", "extension", "x", "psw"/"pesawat" (Indonesian), then
# its digits.
EXTENSION = re.compile(r"(?i)\s*\b(?:ext(?:ension)?|x|psw|pes(?:awat)?)\b\.?:?\s*(?=\d)|(?<=\d)\s*x(?=\d)")


class Hospital(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Category(models.TextChoices):
        """What kind of patients a hospital takes, from the source's type column and its name
        (webapp.hospitals.parsers.category_of). Only PUBLIC ones are suggested by default."""
        GENERAL = "general", _("General hospital")
        UNKNOWN = "unknown", _("Type not listed")
        CHILDREN = "children", _("Children's hospital")
        WOMEN = "women", _("Women's hospital")
        SPECIALTY = "specialty", _("Specialty hospital")
        PSYCHIATRIC = "psychiatric", _("Psychiatric hospital")
        REHABILITATION = "rehabilitation", _("Rehabilitation hospital")
        LONG_TERM = "long_term", _("Long-term care hospital")
        MILITARY = "military", _("Military hospital")
        VETERANS = "veterans", _("Veterans' hospital")

    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=500, blank=True)
    city = models.CharField(_("city"), max_length=255, blank=True)
    # State, province or region: whatever the source calls its first-level division.
    region = models.CharField(_("region"), max_length=255, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=255, blank=True)
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    type = models.CharField(_("type"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    # Where the row came from ("hifld", "osm", or a file's name) and the source's own id (for a
    # source without ids, a hash of name and position, re-derived when a corrected file moves the
    # row: webapp.hospitals.importing), so that importing the same source again updates rows
    # instead of duplicating them.
    source = models.CharField(_("source"), max_length=100)
    source_date = models.DateField(_("source date"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices,
                                default=Category.GENERAL)
    # What the import's checks found doubtful about this row's place (webapp.hospitals.checks):
    # a list of {"code": ..., "km": ..., "place": ...}; empty when nothing was found.
    location_flags = models.JSONField(_("location flags"), default=list, blank=True)
    external_id = models.CharField(_("external id"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="hospital_unique_per_source"),
        ]
        indexes = [models.Index(fields=["status"], name="hospital_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def takes_the_public(self) -> bool:
        return self.category in PUBLIC_CATEGORIES

    def category_label(self) -> str:
        """The category's name; for a row of a known list without a type column, what every
        row of that list is ("COVID-19 referral hospital"), rather than "Type not listed"."""
        known = KNOWN_LISTS.get(self.source)
        if self.category == self.Category.UNKNOWN and not self.type and known and known.every_row:
            return str(known.every_row)
        return str(self.get_category_display())

    def flag_messages(self) -> list[str]:
        from .checks import flag_message

        return [flag_message(flag) for flag in self.location_flags or []]

    @property
    def place(self) -> str:
        """City, region and country in one line, skipping the parts the source lacks."""
        return ", ".join(part for part in (self.city, self.region, self.country_name()) if part)

    def country_name(self) -> str:
        """The country as the page's language names it: HIFLD's "USA" and "PRI" are "United
        States" and "Puerto Rico" ("Amerika Serikat" in Indonesian); a country the place data does
        not know is shown as listed."""
        from .places import countries, normalise

        world = countries()
        iso2 = world.iso2_of.get(normalise(self.country)) if self.country else None
        if not iso2:
            return self.country
        language = (get_language() or "").split("-")[0]
        return world.local_names.get(language, {}).get(iso2) or world.names.get(iso2, self.country)

    def phone_numbers(self) -> list[tuple[str, str]]:
        """(as written, tel: link) per number; sources list several numbers separated by "/".
        An extension ("EXT. 533781", "x12", Indonesian "psw. 204") stays in the text but is not
        dialled: glued onto the number it would make another, wrong number."""
        numbers = []
        for part in re.split(r"\s*[/;,]\s*", self.phone):
            dialable = re.sub(r"[^\d+]", "", EXTENSION.split(part, maxsplit=1)[0])
            if len(dialable) >= 3:
                numbers.append((part.strip(), "tel:" + dialable))
        return numbers


# Suggested by default: hospitals that take anyone who walks in (a source without a type column
# gives UNKNOWN; the Indonesian list, for instance, names COVID-19 referral hospitals only).
PUBLIC_CATEGORIES = (Hospital.Category.GENERAL, Hospital.Category.UNKNOWN)


@dataclass(frozen=True)
class KnownList:
    """A public hospital list, by the source name the importer gives it by default ("hifld", or
    a CSV's file name: webapp.hospitals.parsers.parse_file): what the finder credits it with."""
    title: str
    origin: str          # where it was published, named and linked
    url: str
    licence: str
    licence_url: str = ""
    every_row: str = ""  # what each of its rows is, where it has no type column


# The lists of the shared data folder (its SOURCES.md); rows of any other source are credited by
# their source name, saying that their origin and licence are not recorded.
KNOWN_LISTS = {
    "hifld": KnownList(_("HIFLD Hospitals (United States)"), _("HIFLD Open Data, US Department of Homeland Security"),
                       "https://hifld-geoplatform.opendata.arcgis.com/", _("public use")),
    "indonesia_covid_referral_hospitals": KnownList(
        _("Indonesian COVID-19 referral hospital list"), "hndryno/covid-mobile-app",
        "https://github.com/hndryno/covid-mobile-app", _("MIT licence"), "https://opensource.org/license/mit",
        every_row=_("COVID-19 referral hospital")),
}
