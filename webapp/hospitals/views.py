"""The nearest-hospital finder: an HTML page (works without JavaScript) and its JSON endpoint."""
from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .forms import NearestForm
from .models import Hospital
from .nearest import NearbyHospital, nearest_open_hospitals

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def directions_url(from_lat: float, from_lon: float, to_lat: float, to_lon: float) -> str:
    """OpenStreetMap's route planner from the search point to the hospital."""
    route = f"{from_lat:.6f},{from_lon:.6f};{to_lat:.6f},{to_lon:.6f}"
    return "https://www.openstreetmap.org/directions?" + urlencode({"engine": "fossgis_osrm_car", "route": route})


def result_json(item: NearbyHospital, lat: float, lon: float) -> dict:
    h = item.hospital
    return {
        "id": h.id, "name": h.name, "address": h.address, "place": h.place, "phone": h.phone,
        "phones": [{"text": text, "href": href} for text, href in h.phone_numbers()],
        "type": h.type, "beds": h.beds, "latitude": h.latitude, "longitude": h.longitude,
        "distance_km": round(item.distance_km, 3),
        "directions_url": directions_url(lat, lon, h.latitude, h.longitude),
    }


def search(form: NearestForm) -> tuple[float, float, list[dict]]:
    lat, lon, k = form.cleaned_data["lat"], form.cleaned_data["lon"], form.cleaned_data["k"]
    return lat, lon, [result_json(item, lat, lon) for item in nearest_open_hospitals(lat, lon, k)]


@require_safe
def nearest(request):
    form = NearestForm(request.GET or None)
    origin, results = None, []
    if form.is_bound and form.is_valid():
        lat, lon, results = search(form)
        origin = {"lat": lat, "lon": lon}
    map_config = {
        "endpoint": reverse("hospitals:nearest_json"),
        "tiles": OSM_TILES,
        # Leaflet shows this as HTML; the link is fixed, only the words around it are translated.
        "attribution": _("&copy; %(link)s contributors") % {
            "link": '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'},
        "origin": origin,
        "results": results,
        # Words the script needs when it redraws the list after a map click or a located search.
        "text": {
            "km_away": _("%(km)s km away"),
            "call": _("Call"),
            "directions": _("Directions"),
            "no_phone": _("No phone number listed"),
            "heading": _("Nearest open hospitals to %(lat)s, %(lon)s"),
            "none": _("No open hospital found. Import a hospital list first."),
            "searching": _("Searching…"),
            "failed": _("The search failed. Check the coordinates and try again."),
            "locating": _("Asking your browser for your location…"),
            "denied": _("Location permission was refused. Type coordinates or click the map instead."),
            "unavailable": _("Your location is not available. Type coordinates or click the map instead."),
            "you": _("Search point"),
        },
    }
    return render(request, "hospitals/nearest.html", {
        "form": form, "origin": origin, "results": results, "map_config": map_config,
        "open_count": Hospital.objects.filter(status=Hospital.Status.OPEN).count(),
    })


@require_safe
def nearest_json(request):
    form = NearestForm(request.GET)
    if not form.is_valid():
        errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    lat, lon, results = search(form)
    return JsonResponse({"origin": {"lat": lat, "lon": lon}, "results": results})
