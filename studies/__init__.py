"""Research studies behind docs/results/: one folder per study, each run from the repository root
with the package installed (`pip install -e .[train]`), e.g. `python -m studies.ood.candidates`.

A study imports `cxr` (and numpy, pandas, torch, ...), never another study: what two studies
share belongs in `cxr` (statistics and tables in `cxr.evaluation`). When run, a study prints its
tables and keeps them in its page under docs/results/. Studies are not shipped with the package.
"""
