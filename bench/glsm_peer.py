"""Runs inside .venv-glsm (glsm pins old numpy and pydantic, so it never shares the app's
environment): scores leads one at a time with glsm's NonPredictive model built on the
same criteria, and prints milliseconds per lead.

Input: argv[1] = a JSON file {"criteria": [[id, points], ...]}, argv[2] = a .npy matrix
of 0/1 hits (leads x criteria).
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from glsm.non_predictive.features import Feature
from glsm.non_predictive.model import NonPredictive

with open(sys.argv[1]) as file:
    spec = json.load(file)
hits = np.load(sys.argv[2])
model = NonPredictive()
model.add_features([
    Feature(name=cid, weight=1.0, options_df=pd.DataFrame(
        {"label": ["miss", "hit"], "is_ICP": [False, True], "points": [0.0, float(points)]}))
    for cid, points in spec["criteria"]
])  # fmt: skip
ids = [cid for cid, _ in spec["criteria"]]
leads = [{cid: ("hit" if h else "miss") for cid, h in zip(ids, row, strict=True)} for row in hits]
start = time.perf_counter()
for lead in leads:
    model.compute_lambda(lead)
print((time.perf_counter() - start) * 1000 / len(leads))
