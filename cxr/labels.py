"""Class names and the two tasks of the toolkit, and how people spell the classes.

`3class` is the product's task; `binary` (covid vs normal) is the paper's task. The order of
the names is the order of the model's outputs. `class_label` maps the spellings of public X-ray
collections and hospitals (COVID-19, Viral Pneumonia, healthy...) to these names, one mapping
for `cxr data import`'s class folders, `validate-site`'s labels.csv and the web app's site
check, which may import this module but not cxr.data.
"""
import re

COVID, PNEUMONIA, NORMAL = "covid", "pneumonia", "normal"

TASKS: dict[str, tuple[str, ...]] = {
    "3class": (COVID, PNEUMONIA, NORMAL),
    "binary": (COVID, NORMAL),
}


# Common spellings of classes (as their `slug`) in public CXR collections -> the toolkit's labels.
CLASS_ALIASES = {
    "covid": COVID,
    "covid19": COVID,
    "covid_19": COVID,
    "covid_positive": COVID,
    "normal": NORMAL,
    "healthy": NORMAL,
    "no_finding": NORMAL,
    "pneumonia": PNEUMONIA,
    "viral_pneumonia": PNEUMONIA,
    "bacterial_pneumonia": PNEUMONIA,
}


def slug(name: str) -> str:
    """'Viral Pneumonia' -> 'viral_pneumonia', 'COVID-19' -> 'covid_19'."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def class_label(text: str) -> str:
    """A class as a person or a collection spells it -> the toolkit's label (`CLASS_ALIASES`:
    COVID-19 -> covid, Viral Pneumonia -> pneumonia, ...); anything else comes back as its slug,
    a label no task uses."""
    name = slug(text)
    return CLASS_ALIASES.get(name, name)


def classes_for(task: str) -> tuple[str, ...]:
    try:
        return TASKS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}") from None
