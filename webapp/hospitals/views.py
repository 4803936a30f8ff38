"""The nearest-hospital finder, open to everyone (no account needed: a worried person looks for a
hospital first): an HTML page that works without JavaScript, its JSON endpoint and the place
suggestions of its search box.

JSON contract, `GET /hospitals/nearest.json?place=TEXT` (or `lat=..&lon=..`; both: the
coordinates pick which of several places named TEXT, as a chosen suggestion sends them; optional
`k`, `all_types=1`, and `here=1` for the browser's location: its label is then "Your location"):
    200 {"origin": {"lat", "lon", "label"}, "coverage": "ok" | "far" | "none",
         "message": "...", "results": [...],
         "listed_here": null | {"heading": "...", "hospitals": [{..., "note": "...",
         "warnings": [...]}]}}: a typed town's own hospitals whose map position the import
         doubted, listed apart (no distance, no route) and left out of "results"
    400 {"message": "...", "errors": {field: [...]}} for an unknown place or bad parameters;
        for a place not found, also "suggestions": {"lead": "Did you mean:", "places": [{"label",
        "lat", "lon", "detail", "url"}, ...]} when places of a close name are known ("Bandug":
        Bandung), or the towns the lists' addresses put a kecamatan in; "url" runs that search;
        and "message_without_location_button": the same message without the advice to use the
        page's "Use my location" button, for a browser that cannot tell its location (the page
        hides the button there).
"""
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from webapp.middleware import CONTENT_SECURITY_POLICY

from . import places
from .forms import NearestForm
from .models import KNOWN_LISTS, Hospital
from .nearest import (
    FAR_KM,
    OUTSIDE_KM,
    NearbyHospital,
    coverage_of,
    nearest_open_hospitals,
    one_table_version,
)


def directions_url(from_lat: float, from_lon: float, to_lat: float, to_lon: float) -> str:
    """OpenStreetMap's route planner from the search point to the hospital."""
    route = f"{from_lat:.6f},{from_lon:.6f};{to_lat:.6f},{to_lon:.6f}"
    return "https://www.openstreetmap.org/directions?" + urlencode({"engine": "fossgis_osrm_car", "route": route})


def hospital_json(h: Hospital) -> dict:
    """What is shown of a hospital wherever it lies."""
    return {
        "id": h.id, "name": h.name, "address": h.address, "place": h.place, "phone": h.phone,
        "phones": [{"text": text, "href": href} for text, href in h.phone_numbers()],
        "type": h.type, "category": h.category, "category_label": h.category_label(),
        "takes_the_public": h.takes_the_public, "beds": h.beds,
        # What the import checks found doubtful about its address or position (may be empty).
        "warnings": h.flag_messages(),
    }


def result_json(item: NearbyHospital, lat: float, lon: float) -> dict:
    h = item.hospital
    return {
        **hospital_json(h), "latitude": h.latitude, "longitude": h.longitude,
        "distance_km": round(item.distance_km, 3),
        "directions_url": directions_url(lat, lon, h.latitude, h.longitude),
    }


def listed_here_json(hospitals: list[Hospital], origin: places.Place) -> dict | None:
    """The searched town's own hospitals whose map position is doubtful (places.
    doubtful_hospitals_of): ranked by that position they come far down the list
    or not at all. Named with the town the list gives, without a distance or a route (both would
    follow the doubtful position). None without any."""
    if not hospitals:
        return None
    town = origin.shown_label().split(",")[0]
    return {
        "heading": _("Hospitals listed in %(place)s whose map position is doubtful") % {"place": town},
        "hospitals": [{
            **hospital_json(h),
            "note": _("Listed in %(place)s, but its map position in the list is doubtful: call to "
                      "check where it is before you go.") % {"place": places.title_case(h.city.split(",")[0])},
        } for h in hospitals],
    }


def list_credits() -> list[str]:
    """One line (HTML) per source of the stored hospitals: a known list (KNOWN_LISTS) with its
    origin, licence and date; any other by its source name. The date is the latest of the rows'
    own dates, or, for a list without dates, when it was imported."""
    lines = []
    sources = (Hospital.objects.values("source").annotate(dated=Max("source_date"), imported=Max("created_at"))
               .order_by("source"))
    for row in sources:
        if row["dated"]:
            date = _("dated up to %(date)s") % {"date": date_format(row["dated"], "DATE_FORMAT")}
        else:
            date = _("the list gives no date; imported %(date)s") % {
                "date": date_format(timezone.localtime(row["imported"]).date(), "DATE_FORMAT")}
        known = KNOWN_LISTS.get(row["source"])
        if known is None:
            lines.append(format_html(_("{name}: {date}. Its origin and licence are not recorded here."),
                                     name=row["source"], date=date))
            continue
        licence = format_html('<a href="{}">{}</a>', known.licence_url, known.licence) if known.licence_url \
            else known.licence
        lines.append(format_html(_("{title}, from {origin} ({licence}): {date}."), title=known.title,
                                 origin=format_html('<a href="{}">{}</a>', known.url, known.origin),
                                 licence=licence, date=date))
    return lines


def km_text(km: float, decimals: int = 0) -> str:
    """"5,047" / "5.047" and "3.2" / "3,2": grouped and rounded in the reader's language."""
    return number_format(round(km, decimals), decimals, force_grouping=True)


def coverage_message(coverage: str, results: list[NearbyHospital], origin: places.Place) -> str:
    """What the coverage means for the reader, in plain words."""
    if not results:
        return _("No hospital list has been imported yet, so no hospital can be suggested. Call "
                 "your local emergency number if you need help now.")
    km = km_text(results[0].distance_km)
    if coverage == "none":
        return _("%(place)s lies outside the hospital lists imported here: no listed hospital is "
                 "within %(limit)s km. The hospitals below are the nearest ones the lists hold, "
                 "%(km)s km away or more; they are not a suggestion to travel there. Call your "
                 "local emergency number or ask a local health service.") % {
            "place": origin.shown_label(), "limit": km_text(OUTSIDE_KM), "km": km}
    if coverage == "far":
        return _("The nearest listed hospital is %(km)s km away: the imported lists cover this "
                 "area poorly (more than %(limit)s km). There may be closer hospitals that are not "
                 "listed; in an emergency call your local emergency number.") % {
            "km": km, "limit": km_text(FAR_KM)}
    return _("The nearest listed hospital is %(km)s km away in a straight line. Call before you "
             "go.") % {"km": km_text(results[0].distance_km, 1)}


def search(form: NearestForm) -> dict:
    """The JSON answer for a valid form (the page renders the same data). A typed town's own
    hospitals whose map position is doubtful are listed apart ("listed_here") and left out of
    the ranking, which still holds k others."""
    origin: places.Place = form.cleaned_data["origin"]
    k, all_types = form.cleaned_data["k"], form.cleaned_data["all_types"]
    doubtful = places.doubtful_hospitals_of(origin, public_only=not all_types)
    apart = {h.id for h in doubtful}
    found = nearest_open_hospitals(origin.lat, origin.lon, k + len(apart), public_only=not all_types)
    found = [item for item in found if item.hospital.id not in apart][:k]
    coverage = coverage_of(found)
    return {
        "origin": {"lat": origin.lat, "lon": origin.lon, "label": origin.shown_label()},
        "coverage": coverage,
        "message": coverage_message(coverage, found, origin),
        "results": [result_json(item, origin.lat, origin.lon) for item in found],
        "listed_here": listed_here_json(doubtful, origin),
    }


def tile_origin() -> str:
    parts = urlsplit(settings.HOSPITAL_MAP_TILES or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def page_csp() -> str | None:
    """The site's policy with the configured tile server allowed for images (None: unchanged)."""
    origin = tile_origin()
    if not origin or origin in CONTENT_SECURITY_POLICY:
        return None
    return "; ".join(f"img-src 'self' data: {origin}" if d.strip().startswith("img-src") else d.strip()
                     for d in CONTENT_SECURITY_POLICY.split(";"))


@login_not_required
@require_safe
@one_table_version()  # one search, one look at whether the indexes are current
def nearest(request):
    form = NearestForm(request.GET or None)
    answer = None
    if form.is_bound and form.is_valid():
        answer = search(form)
    map_config = {
        "endpoint": reverse("hospitals:nearest_json"),
        "places": reverse("hospitals:places_json"),
        "tiles": settings.HOSPITAL_MAP_TILES,
        # Leaflet shows this as HTML; the link is fixed, only the words around it are translated.
        "attribution": settings.HOSPITAL_MAP_ATTRIBUTION or _("&copy; %(link)s contributors") % {
            "link": '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'},
        "origin": answer["origin"] if answer else None,
        "results": answer["results"] if answer else [],
        # Words the script needs when it redraws the list after a map click or a located search.
        "text": {
            "km_away": _("%(km)s km away"),
            "call": _("Call"),
            "directions": _("Directions"),
            "directions_to": _("Directions to %(name)s (opens in a new tab)"),
            "leaflet": _("A JavaScript library for interactive maps"),
            "no_phone": _("No phone number listed"),
            "heading": _("Nearest open hospitals to %(place)s"),
            "heading_here": _("Nearest open hospitals to your location"),
            "none": _("No open hospital found. Import a hospital list first."),
            "searching": _("Searching…"),
            "failed": _("The search failed. Check the place or the coordinates and try again."),
            "locating": _("Asking your browser for your location…"),
            "denied": _("Location permission was refused. Type a place, or tap or click the map instead."),
            "unavailable": _("Your location is not available. Type a place, or tap or click the map instead."),
            "you": _("Search point"),
            "doubtful": _("Check before you go: the list's address or map position for this hospital may be wrong."),
            "suggestions": _("Suggestions"),
            # Said (not shown) as the place box's list of suggestions changes; the script picks
            # the form by the count (English and Indonesian have at most these two).
            "suggestions_one": ngettext(
                "%(count)s suggestion: use the up and down arrow keys to choose one.",
                "%(count)s suggestions: use the up and down arrow keys to choose one.", 1),
            "suggestions_many": ngettext(
                "%(count)s suggestion: use the up and down arrow keys to choose one.",
                "%(count)s suggestions: use the up and down arrow keys to choose one.", 2),
            "no_suggestions": _("No suggestions."),
            # The map's + and − buttons (Leaflet's own titles are English).
            "zoom_in": _("Zoom in"),
            "zoom_out": _("Zoom out"),
            # Shown over the map when one finger swipes on it (the page scrolls instead).
            "two_fingers": _("Use two fingers to move the map"),
        },
    }
    here = bool(answer) and form.cleaned_data["origin"].kind == "location"
    response = render(request, "hospitals/nearest.html", {
        "form": form, "answer": answer, "here": here, "map_config": map_config,
        "place_suggestions": form.place_suggestions() if form.is_bound and not answer else None,
        "open_count": Hospital.objects.filter(status=Hospital.Status.OPEN).count(),
        "list_credits": list_credits(),
        "tiles_configured": bool(settings.HOSPITAL_MAP_TILES),
    })
    if policy := page_csp():
        response.headers["Content-Security-Policy"] = policy
    return response


@login_not_required
@require_safe
@one_table_version()  # one search, one look at whether the indexes are current
def nearest_json(request):
    form = NearestForm(request.GET)
    if not form.is_valid():
        errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
        answer = {"message": form.first_error(), "errors": errors}
        if form.miss_message_without_script:
            answer["message_without_location_button"] = form.miss_message_without_script
        if suggestions := form.place_suggestions():
            answer["suggestions"] = suggestions
        return JsonResponse(answer, status=400)
    return JsonResponse(search(form))


@login_not_required
@require_safe
@one_table_version()  # one search, one look at whether the indexes are current
def places_json(request):
    """Suggestions for the search box: {"places": [{"label", "lat", "lon", "detail"}, ...]} (at
    most 8). `detail` tells apart towns that share a label ("Jawa Barat", "near Chicago"); else "".
    """
    text = request.GET.get("q", "")[:100]
    return JsonResponse({"query": text, "places": [place.as_json() for place in places.suggest(text)]})
