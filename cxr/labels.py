"""Class names and the two tasks of the toolkit.

`3class` is the product's task; `binary` (covid vs normal) is the paper's task. The order of
the names is the order of the model's outputs.
"""

COVID, PNEUMONIA, NORMAL = "covid", "pneumonia", "normal"

TASKS: dict[str, tuple[str, ...]] = {
    "3class": (COVID, PNEUMONIA, NORMAL),
    "binary": (COVID, NORMAL),
}


def classes_for(task: str) -> tuple[str, ...]:
    try:
        return TASKS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}") from None
