"""The search point: a typed place, typed coordinates, the browser's location or a map click."""
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import places

DEFAULT_COUNT = 10
MAX_COUNT = 50
# A town with its province or state, for the hint under a place that was not found: one the
# reader's language fits (an Indonesian town and its province as the Indonesian list names it),
# else one of the country most of the lists' towns lie in, else a US town and its state.
PLACE_EXAMPLES = {"id": "Malang, Jawa Timur"}
COUNTRY_EXAMPLES = {"ID": "Malang, Jawa Timur", "US": "Springfield, IL"}
DEFAULT_PLACE_EXAMPLE = "Springfield, IL"
COORDINATES_EXAMPLE = "-6.2088, 106.8456"


def place_example() -> str:
    if example := PLACE_EXAMPLES.get((get_language() or "").split("-")[0]):
        return example
    counts = places.hospital_places().country_counts
    listed = [country for country, _count in counts.most_common() if country in COUNTRY_EXAMPLES]
    return COUNTRY_EXAMPLES[listed[0]] if listed else DEFAULT_PLACE_EXAMPLE


def coordinates_message(error: "places.CoordinatesError") -> str:
    """Why typed numbers cannot be used, and how to write them."""
    example = COORDINATES_EXAMPLE
    if error.code == "latitude_range":
        return _("Latitude %(lat)s is out of range: a latitude lies between -90 and 90. Type the "
                 "latitude first, then the longitude, for example %(example)s.") % {
            "lat": error.value, "example": example}
    if error.code == "longitude_range":
        return _("Longitude %(lon)s is out of range: a longitude lies between -180 and 180.") % {
            "lon": error.value}
    if error.code == "decimal_comma":
        return _("“%(text)s” could be numbers with a decimal comma or a list of whole numbers. "
                 "Type the latitude and the longitude with decimal points, for example "
                 "%(example)s.") % {"text": error.value, "example": example}
    return _("“%(text)s” cannot be read as coordinates. Type a latitude and a longitude, for "
             "example %(example)s.") % {"text": error.value, "example": example}


def not_found_message(text: str, miss: "places.NotFound", location_button: bool = True) -> str:
    """Why nothing was found and what to do: the page's "Use my location" button first, a town
    name with its province, state or country next, coordinates last. Without the page's script
    the button is hidden (`location_button=False`): the message does not name it."""
    if miss.subdistrict:
        values = {"place": miss.subdistrict, "coordinates": COORDINATES_EXAMPLE}
        if location_button:
            return _("“%(place)s” is not in the place data here: it knows towns, cities, regencies "
                     "and provinces, but not every kecamatan, kelurahan or village. Use the “Use my "
                     "location” button, or type the town or regency it lies in. As a last resort, "
                     "type coordinates, latitude first, for example %(coordinates)s.") % values
        return _("“%(place)s” is not in the place data here: it knows towns, cities, regencies "
                 "and provinces, but not every kecamatan, kelurahan or village. Type the town or "
                 "regency it lies in. As a last resort, type coordinates, latitude first, for "
                 "example %(coordinates)s.") % values
    values = {"place": text, "example": place_example(), "coordinates": COORDINATES_EXAMPLE}
    if location_button:
        return _("We could not find “%(place)s”. Use the “Use my location” button, or type a town or "
                 "city name, adding its province, state or country if needed (“%(example)s”). As a "
                 "last resort, type coordinates, latitude first, for example %(coordinates)s.") % values
    return _("We could not find “%(place)s”. Type a town or city name, adding its province, state "
             "or country if needed (“%(example)s”). As a last resort, type coordinates, latitude "
             "first, for example %(coordinates)s.") % values


class NearestForm(forms.Form):
    place = forms.CharField(
        label=_("City, region or address"), max_length=200, required=False,
        widget=forms.TextInput(attrs={
            "placeholder": _("e.g. Surabaya, or Chicago, IL"), "autocomplete": "off",
            "spellcheck": "false", "enterkeyhint": "search"}),
    )
    # Out of range, the fields say what the place box says of typed coordinates, not Django's
    # "Ensure this value is less than or equal to 90."
    lat = forms.FloatField(
        label=_("Latitude"), min_value=-90, max_value=90, required=False,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "-6.2088"}),
        error_messages={
            "invalid": _("Latitude must be a number."),
            "min_value": _("Latitude %(value)s is out of range: a latitude lies between -90 and 90."),
            "max_value": _("Latitude %(value)s is out of range: a latitude lies between -90 and 90."),
        },
    )
    lon = forms.FloatField(
        label=_("Longitude"), min_value=-180, max_value=180, required=False,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "106.8456"}),
        error_messages={
            "invalid": _("Longitude must be a number."),
            "min_value": _("Longitude %(value)s is out of range: a longitude lies between -180 and 180."),
            "max_value": _("Longitude %(value)s is out of range: a longitude lies between -180 and 180."),
        },
    )
    k = forms.IntegerField(
        label=_("How many"), min_value=1, max_value=MAX_COUNT, required=False,
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_COUNT)}),
        error_messages={
            "invalid": _("The number of hospitals must be a whole number."),
            "min_value": _("Type a number of hospitals of %(limit_value)s or more."),
            "max_value": _("At most %(limit_value)s hospitals can be listed."),
        },
    )
    # Set by the page's script when the coordinates are the browser's location ("Use my
    # location"): the answer is then about "your location", not two numbers.
    here = forms.BooleanField(required=False, widget=forms.HiddenInput)
    all_types = forms.BooleanField(
        label=_("Also list specialty, children's, psychiatric, rehabilitation, long-term care, "
                "military and veterans' hospitals"),
        required=False,
    )

    def clean_k(self):
        return self.cleaned_data.get("k") or DEFAULT_COUNT

    def clean(self):
        """A typed place wins over coordinates (which only pick one of several places of that
        name); without one, both coordinates are needed.
        Sets cleaned_data["origin"] to a places.Place."""
        data = super().clean()
        if "place" in self.errors:
            return data  # typed but refused (too long, a NUL): the coordinates are not the issue
        text = (data.get("place") or "").strip()
        if text:
            # Coordinates beside a place name only say which of its namesakes (a chosen
            # suggestion's): numbers that cannot say it (not numbers, out of range) are set aside,
            # not refused. The typed place wins.
            for name in ("lat", "lon"):
                self.errors.pop(name, None)
        lat, lon = data.get("lat"), data.get("lon")
        if text:
            near = (lat, lon) if lat is not None and lon is not None else None
            try:
                found = places.find(text, near=near)
            except places.CoordinatesError as error:
                self.add_error("place", coordinates_message(error))
                return data
            if isinstance(found, places.NotFound):
                self.miss = found
                self.add_error("place", not_found_message(text, self.miss))
                self.miss_message_without_script = not_found_message(text, self.miss, location_button=False)
            else:
                data["origin"] = found
            return data
        if lat is None and lon is None and not self.errors:
            self.add_error("place", _("Type a place, or enter a latitude and a longitude."))
            return data
        if "lat" not in self.errors and lat is None:
            self.add_error("lat", _("Enter a latitude."))
        if "lon" not in self.errors and lon is None:
            self.add_error("lon", _("Enter a longitude."))
        if lat is not None and lon is not None and data.get("here"):
            data["origin"] = places.Place(str(_("Your location")), lat, lon, "location")
        elif lat is not None and lon is not None:
            data["origin"] = places.Place(f"{lat:.4f}, {lon:.4f}", lat, lon, "coordinates")
        return data

    miss: "places.NotFound | None" = None
    # The page's message for a place not found where the "Use my location" button is hidden
    # (the error itself names it): without the page's script, or in a browser that cannot tell
    # its location.
    miss_message_without_script = ""

    def place_suggestions(self) -> dict | None:
        """For a place not found: {"lead": "Did you mean:", "places": [{"label", "lat", "lon",
        "detail", "url"}, ...]}, each url a search for that place (its coordinates pick it among
        namesakes; the number of results and the types asked for are kept); None without any."""
        if not self.miss or not self.miss.places:
            return None
        if self.miss.subdistrict:
            lead = _("The addresses of listed hospitals put “%(place)s” in:") % {"place": self.miss.subdistrict}
        else:
            lead = _("Did you mean:")
        kept = {}
        if self.cleaned_data.get("k") not in (None, DEFAULT_COUNT):
            kept["k"] = self.cleaned_data["k"]
        if self.cleaned_data.get("all_types"):
            kept["all_types"] = "on"
        found = []
        for place in self.miss.places:
            item = place.as_json()
            query = {"place": item["label"], "lat": item["lat"], "lon": item["lon"], **kept}
            found.append({**item, "url": reverse("hospitals:nearest") + "?" + urlencode(query)})
        return {"lead": str(lead), "places": found}

    def first_error(self) -> str:
        """One sentence for the JSON answer's "message"."""
        for messages in self.errors.values():
            if messages:
                return str(messages[0])
        return ""
