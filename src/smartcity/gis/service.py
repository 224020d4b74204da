"""The GIS domain's front door: what other domains, the pages and the API may call.

The feature store lives in `store.py` (layers and reads) and `feature_writes.py` (writes), house numbering
in `addressing.py`, planning checks in `planning.py`, the synthetic demo layers in `demo.py`; this module
names them for the rest of the city.
"""

from __future__ import annotations

from smartcity.gis.addressing import propose_house_number as propose_house_number
from smartcity.gis.demo import DEMO_LAYER_ORDER as DEMO_LAYER_ORDER
from smartcity.gis.demo import load_demo_layers as load_demo_layers
from smartcity.gis.feature_writes import NewFeature as NewFeature
from smartcity.gis.feature_writes import feature_history as feature_history
from smartcity.gis.feature_writes import prepared_geometry as prepared_geometry
from smartcity.gis.feature_writes import reindex as reindex
from smartcity.gis.feature_writes import store_features as store_features
from smartcity.gis.feature_writes import update_feature as update_feature
from smartcity.gis.planning import check_against_plan as check_against_plan
from smartcity.gis.store import *  # noqa: F403  (the feature store's reads and layers)
