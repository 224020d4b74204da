"""The GIS domain's front door: what other domains, the pages and the API may call.

The feature store lives in `store.py`, house numbering in `addressing.py`, planning checks in
`planning.py`, the synthetic demo layers in `demo.py`; this module names them for the rest of the city.
"""

from __future__ import annotations

from smartcity.gis.addressing import propose_house_number as propose_house_number
from smartcity.gis.demo import DEMO_LAYER_ORDER as DEMO_LAYER_ORDER
from smartcity.gis.demo import load_demo_layers as load_demo_layers
from smartcity.gis.planning import check_against_plan as check_against_plan
from smartcity.gis.store import *  # noqa: F403  (the feature store's public functions)
