""""COVID-19" and "RT-PCR" never break at their hyphen ("COVID-" at a line's end, "19" on the
next) on a 360 px phone, in English or Indonesian, on the pages that name them: the landing
page, the guide, the upload page, a reading's result page and the hospital finder (site.js
wraps each in a nowrap span). The words stay plain text with their ASCII hyphen (found by
search and copied as typed). Screenshots land in test-output/terms-*.png.
"""
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from webapp.tests.support.screening_helpers import store_reading

TERMS = ("COVID-19", "RT-PCR")


@pytest.mark.django_db
def test_the_servers_html_keeps_the_words_as_typed(client):
    """The page's script keeps the terms whole; the HTML sent is the plain sentence."""
    html = client.get(reverse("guide:next_steps", args=["covid"])).content.decode()
    assert "a clinician and an RT-PCR test decide." in html and 'class="term"' not in html


# Each occurrence of a term in the page's text: the lines its characters lie on (by the top of
# each character's box), and the text around it.
OCCURRENCES = """terms => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.checkVisibility()) continue;
    for (const term of terms) {
      for (let at = node.data.indexOf(term); at >= 0; at = node.data.indexOf(term, at + 1)) {
        const tops = new Set();
        for (let i = at; i < at + term.length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const box = range.getBoundingClientRect();
          if (box.width) tops.add(Math.round(box.top + window.scrollY));
        }
        found.push({term, lines: tops.size, top: Math.min(...tops),
                    context: node.data.slice(Math.max(0, at - 30), at + term.length + 30).replace(/\\s+/g, " ")});
      }
    }
  }
  return found;
}"""


def pages(reading) -> dict[str, str]:
    return {
        "landing": reverse("landing"),
        "how-it-works": reverse("guide:how_it_works"),
        "next-steps": reverse("guide:next_steps"),
        **{f"next-steps-{outcome}": reverse("guide:next_steps", args=[outcome])
           for outcome in ("covid", "pneumonia", "normal", "uncertain")},
        "upload": reverse("screening:upload"),
        "result": reverse("screening:detail", args=[reading.pk]),
        "hospitals": reverse("hospitals:nearest"),
    }


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "id"])
def test_covid_19_and_rt_pcr_stay_whole_on_a_phone(chromium_browser, live_server, test_output, make_account,
                                                   model_dir, media_root, xray_paths, language):
    owner = make_account("sari@example.org")
    # A result that names COVID-19 as the finding, whatever the model reads in this image.
    reading = store_reading(owner, model_dir, xray_paths["covid"][0], label="covid", low_confidence=False)
    client = Client()
    client.force_login(owner)
    context = chromium_browser.new_context(viewport={"width": 360, "height": 740})
    context.add_cookies([
        {"name": "django_language", "value": language, "url": live_server.url},
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
    ])
    page = context.new_page()
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        broken, seen = [], set()
        for name, path in pages(reading).items():
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == language
            occurrences = page.evaluate(OCCURRENCES, list(TERMS))
            seen |= {o["term"] for o in occurrences}
            broken += [(name, o["top"], o["context"]) for o in occurrences if o["lines"] > 1]
            page.screenshot(path=test_output / f"terms-{name}-{language}-360.png", full_page=True)
        assert seen == set(TERMS)
        assert broken == [], "\n".join(map(str, broken))
        # Still the typed words: find-in-page finds them, a copy gives them as typed.
        page.goto(live_server.url + reverse("guide:next_steps", args=["covid"]))
        assert page.locator(".term", has_text="RT-PCR").count() >= 1
        assert page.evaluate("() => window.find('COVID-19') && window.find('RT-PCR')")
        copied = page.evaluate("""() => {
            const footer = document.querySelector('.site-footer .disclaimer');
            getSelection().selectAllChildren(footer);
            return getSelection().toString(); }""")
        assert copied == {"en": "A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.",
                          "id": "Alat bantu skrining, bukan diagnosis: dokter dan tes RT-PCR yang menentukan."}[language]
    finally:
        context.close()
