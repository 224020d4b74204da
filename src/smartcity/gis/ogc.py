"""OGC API - Features at /ogc/: Part 1 Core with GeoJSON and HTML, Part 2 CRS by reference.

Every published layer is a collection. Items take bbox (and bbox-crs), datetime, limit (clamped to the
maximum, as the standard asks), offset for paging (next/prev links), crs, and a filter per queryable
property (?land_use_code=ODT). Bad parameters get HTTP 400 with the OGC exception body (code,
description). JSON or HTML by `f=json|html`, else by the Accept header.

GeoJSON in the storage CRS (CRS84) from the feature store is written by the database and passed through
(`feature_documents`): one statement a page or an item. There numberMatched is exact up to
`ogc_count_limit` matching features and left out beyond (optional in Part 1; the next link still says
whether more follow). HTML, other CRSs and the city-pack layer are built here from the store's features.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from smartcity.city import service as city_service
from smartcity.core.errors import BadRequest, NotFound
from smartcity.core.i18n import in_language
from smartcity.gis import feature_documents, tiles
from smartcity.gis import store as service
from smartcity.gis.crs import CRS84, SUPPORTED_CRS, transform_bbox, transform_geometry
from smartcity.gis.geo import parse_geojson, to_geojson
from smartcity.gis.ogc_params import (
    ITEM_PARAMETERS,
    OGCException,
    crs_param,
    parse_bbox,
    parse_datetime,
    parse_limit,
    parse_offset,
)
from smartcity.gis.providers import BBox
from smartcity.gis.schemas import FeatureOut, LayerRead
from smartcity.web.deps import get_db, get_settings
from smartcity.web.templating import render, request_locale

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def _wants_html(request: Request) -> bool:
    fmt = request.query_params.get("f")
    if fmt is not None:
        if fmt not in ("json", "html", "geojson"):
            raise OGCException(400, "InvalidParameterValue", f"f must be json or html, not {fmt!r}")
        return fmt == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def _error(request: Request, error: OGCException) -> Response:
    body = {"code": error.code, "description": error.detail}
    if "text/html" in request.headers.get("accept", "") and request.query_params.get("f") != "json":
        return render(
            request, "gis/ogc_error.html", {"error": body, "status": error.status}, status_code=error.status
        )
    return JSONResponse(body, status_code=error.status)


def _base(request: Request) -> str:
    return str(get_settings(request).public_url(str(request.base_url))) + "ogc"


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _self_links(
    request: Request, path: str, json_type: str = "application/json", query: dict[str, str] | None = None
) -> list[dict[str, str]]:
    url = _base(request) + path
    html, json_ = dict(query or {}), dict(query or {})
    html["f"], json_["f"] = "html", "json"
    as_html = _wants_html(request)
    return [
        _link(
            f"{url}?{urlencode(html if as_html else json_)}", "self", "text/html" if as_html else json_type
        ),
        _link(
            f"{url}?{urlencode(json_ if as_html else html)}",
            "alternate",
            json_type if as_html else "text/html",
        ),
    ]


def _guard(request: Request, handler: Any) -> Response:
    try:
        return handler()
    except OGCException as error:
        return _error(request, error)
    except NotFound as error:
        return _error(request, OGCException(404, "NotFound", error.detail))
    except BadRequest as error:
        return _error(request, OGCException(400, "InvalidParameterValue", error.detail))


def _respond(
    request: Request,
    body: dict[str, Any],
    template: str,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    if _wants_html(request):
        response: Response = render(request, template, {"body": body, "base": _base(request)})
    else:
        response = JSONResponse(body, media_type=media_type)
    response.headers.update(headers or {})
    return response


@router.get("/", summary="Landing page")
def landing(request: Request) -> Response:
    """The landing page: what this API is and where its parts are."""

    def build() -> Response:
        base = _base(request)
        body = {
            "title": f"{city_service.city_name()} — OGC API Features",
            "description": "Lớp dữ liệu không gian công bố: quy hoạch, thửa đất, đường phố, địa chỉ, "
            "đơn vị hành chính. "
            "Dữ liệu demo là dữ liệu mô phỏng.",
            "links": [
                *_self_links(request, "/"),
                _link(f"{base}/api", "service-desc", OPENAPI_JSON, "OpenAPI 3.0 definition"),
                _link(f"{base}/api?f=html", "service-doc", "text/html", "API documentation"),
                _link(f"{base}/conformance", "conformance", "application/json", "Conformance classes"),
                _link(f"{base}/collections", "data", "application/json", "Collections"),
            ],
        }
        return _respond(request, body, "gis/ogc_landing.html")

    return _guard(request, build)


@router.get("/api", summary="OpenAPI definition of this API")
def api_definition(request: Request) -> Response:
    """The OpenAPI 3.0 definition of the OGC API routes (service-desc)."""
    if request.query_params.get("f") == "html":
        return render(request, "gis/ogc_api.html", {"base": _base(request)})
    document = get_openapi(
        title=f"OGC API Features — {city_service.city_name()}",
        version="1.0.0",
        openapi_version="3.0.3",
        routes=router.routes,
    )
    document["servers"] = [{"url": str(request.base_url).rstrip("/")}]
    return JSONResponse(document, media_type=OPENAPI_JSON)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request) -> Response:
    """The conformance classes this API implements."""
    return _guard(
        request,
        lambda: _respond(
            request,
            {"conformsTo": CONFORMANCE, "links": _self_links(request, "/conformance")},
            "gis/ogc_landing.html",
        ),
    )


def _extents(request: Request, layers: list[LayerRead]) -> dict[str, BBox]:
    """The stored layers' boxes (one query for them all); other providers' layers have none here."""
    return service.layer_extents(
        get_db(request), [layer.slug for layer in layers if layer.provider == "store"]
    )


def _collection(request: Request, layer: LayerRead, extent: BBox | None) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{layer.slug}"
    title = in_language(layer.title, layer.title_en, request_locale(request))
    body: dict[str, Any] = {
        "id": layer.slug,
        "title": title,
        "description": layer.description or title,
        "itemType": "feature",
        "crs": list(SUPPORTED_CRS),
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(extent or city_service.boundary_box())], "crs": CRS84}},
        "links": [
            _link(f"{base}?f=json", "self", "application/json"),
            _link(f"{base}?f=html", "alternate", "text/html"),
            _link(f"{base}/items?f=json", "items", GEOJSON, "Items (GeoJSON)"),
            _link(f"{base}/items?f=html", "items", "text/html", "Items (HTML)"),
            _link(
                f"{base}/tiles?f=json",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                "application/json",
                "Vector tiles",
            ),
        ],
        "geometryType": layer.geometry_type,
        "license": layer.licence,
        "synthetic": layer.synthetic,
        "queryables": [f["name"] for f in layer.properties_schema],
    }
    if layer.temporal:
        body["extent"]["temporal"] = {"interval": [[None, None]], "trs": TRS}
    return body


@router.get("/collections", summary="Collections")
def collections(request: Request) -> Response:
    """Every published layer as a collection."""

    def build() -> Response:
        layers = service.list_layers(get_db(request), published_only=True)
        extents = _extents(request, layers)
        body = {
            "links": _self_links(request, "/collections"),
            "crs": list(SUPPORTED_CRS),
            "collections": [_collection(request, layer, extents.get(layer.slug)) for layer in layers],
        }
        return _respond(request, body, "gis/ogc_collections.html")

    return _guard(request, build)


@router.get("/collections/{collection_id}", summary="One collection")
def collection(request: Request, collection_id: str) -> Response:
    """A published layer's description, extent and links."""

    def build() -> Response:
        layer = service.get_layer(get_db(request), collection_id, published_only=True)
        body = _collection(request, layer, _extents(request, [layer]).get(layer.slug))
        body["links"][:2] = _self_links(request, f"/collections/{collection_id}")
        return _respond(request, body, "gis/ogc_collections.html")

    return _guard(request, build)


def _feature_json(feature: FeatureOut, crs: str) -> dict[str, Any]:
    body = feature.as_geojson()
    if crs != CRS84 and feature.geometry:
        body["geometry"] = to_geojson(
            transform_geometry(parse_geojson(feature.geometry), CRS84, crs, axis_order=True),
            decimals=3 if "EPSG/0/4326" not in crs else 7,
        )
    return body


def _query(name: str, description: str, schema: dict[str, Any], style: str = "form") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": style,
        "explode": False,
    }


ITEMS_OPENAPI = {
    "parameters": [
        _query(
            "bbox",
            "Only features intersecting this box: minx,miny,maxx,maxy (in bbox-crs, default CRS84)",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        ),
        _query("bbox-crs", "CRS of bbox (URI)", {"type": "string", "format": "uri"}),
        _query("datetime", "Instant or interval (RFC 3339, '..' for open ends)", {"type": "string"}),
        _query(
            "limit",
            "Page size (larger values are clamped to the maximum)",
            {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10},
        ),
        _query("offset", "Index of the first feature returned (paging)", {"type": "integer", "minimum": 0}),
        _query("crs", "CRS of the returned geometries (URI)", {"type": "string", "format": "uri"}),
        _query("f", "Response format", {"type": "string", "enum": ["json", "html"]}),
    ]
}


@router.get(
    "/collections/{collection_id}/items", summary="Features of a collection", openapi_extra=ITEMS_OPENAPI
)
def items(request: Request, collection_id: str) -> Response:
    """A page of features: bbox, datetime, limit/offset paging, crs, and property filters."""
    return _guard(request, lambda: _items(request, collection_id))


def _items(request: Request, collection_id: str) -> Response:
    # A layer changed since it was cached is read again; changed twice meanwhile, it is read afresh.
    for _ in range(2):
        try:
            return _items_read(request, collection_id, cached=True)
        except feature_documents.LayerChanged:
            continue
    return _items_read(request, collection_id, cached=False)


def _items_read(request: Request, collection_id: str, *, cached: bool) -> Response:
    db = get_db(request)
    if cached:
        layer = feature_documents.published_layer(db, collection_id)
    else:
        layer = service.get_layer(db, collection_id, published_only=True)
    params = request.query_params
    queryables = {f["name"] for f in layer.properties_schema}
    unknown = [name for name in params if name not in ITEM_PARAMETERS and name not in queryables]
    if unknown:
        raise OGCException(400, "InvalidParameterValue", f"unknown query parameter(s): {', '.join(unknown)}")
    crs = crs_param(request, "crs")
    box = None
    if "bbox" in params:
        box = transform_bbox(parse_bbox(params["bbox"]), crs_param(request, "bbox-crs"))
    period = parse_datetime(params["datetime"]) if "datetime" in params else None
    limit, offset = parse_limit(params.get("limit")), parse_offset(params.get("offset"))
    filters = {name: params[name] for name in params if name in queryables}
    query: dict[str, Any] = {"slug": collection_id, "bbox_filter": box, "period": period, "filters": filters}
    if cached and crs == CRS84 and layer.provider == "store" and not _wants_html(request):
        documents = feature_documents.page_documents(db, **query, limit=limit, offset=offset)
        return _geojson_page(request, collection_id, documents, limit, offset)
    if cached:  # every other form reads the layer afresh
        layer = service.get_layer(db, collection_id, published_only=True)
    page = service.query_features(db, **query, layer=layer, limit=limit, offset=offset)
    features = [_feature_json(f, crs) for f in page.features]
    links = _page_links(
        request, collection_id, limit, offset, has_next=offset + len(features) < page.number_matched
    )
    body = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": page.number_matched,
        "numberReturned": len(features),
        "timeStamp": _time_stamp(),
        "links": links,
    }
    if _wants_html(request):
        body = {**body, "collection": layer.model_dump(), "offset": offset, "limit": limit}
    return _respond(request, body, "gis/ogc_items.html", GEOJSON, {"Content-Crs": f"<{crs}>"})


def _time_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _page_links(
    request: Request, collection_id: str, limit: int, offset: int, *, has_next: bool
) -> list[dict[str, str]]:
    """self and alternate, next and prev when there are such pages, and the collection."""
    params = request.query_params
    query = {k: v for k, v in params.items() if k not in ("f", "offset")}
    path = f"/collections/{collection_id}/items"
    links = _self_links(request, path, GEOJSON, {**query, "offset": str(offset)} if offset else query)
    url = _base(request) + path
    fmt = "html" if _wants_html(request) else "json"
    media = "text/html" if fmt == "html" else GEOJSON
    if has_next:
        links.append(
            _link(f"{url}?{urlencode({**query, 'offset': offset + limit, 'f': fmt})}", "next", media)
        )
    if offset > 0:
        links.append(
            _link(f"{url}?{urlencode({**query, 'offset': max(0, offset - limit), 'f': fmt})}", "prev", media)
        )
    links.append(
        _link(f"{_base(request)}/collections/{collection_id}?f=json", "collection", "application/json")
    )
    return links


def _geojson_page(
    request: Request,
    collection_id: str,
    documents: feature_documents.FeatureDocuments,
    limit: int,
    offset: int,
) -> Response:
    """The FeatureCollection around features the database wrote as GeoJSON text (not decoded here)."""
    rest: dict[str, Any] = {}
    if documents.matched is not None:
        rest["numberMatched"] = documents.matched
    rest["numberReturned"] = documents.returned
    rest["timeStamp"] = _time_stamp()
    rest["links"] = _page_links(request, collection_id, limit, offset, has_next=documents.has_next)
    body = b'{"type":"FeatureCollection","features":[%s],%s' % (documents.features, _compact_json(rest)[1:])
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{CRS84}>"})


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature")
def item(request: Request, collection_id: str, feature_id: str) -> Response:
    """One feature of a collection, in the requested CRS."""

    def build() -> Response:
        unknown = [n for n in request.query_params if n not in ("f", "crs", "lang")]
        if unknown:
            raise OGCException(
                400, "InvalidParameterValue", f"unknown query parameter(s): {', '.join(unknown)}"
            )
        crs = crs_param(request, "crs")
        path = f"/collections/{collection_id}/items/{feature_id}"
        links = [
            *_self_links(request, path, GEOJSON),
            _link(f"{_base(request)}/collections/{collection_id}?f=json", "collection", "application/json"),
        ]
        if crs == CRS84 and not _wants_html(request):
            document = feature_documents.feature_document(
                get_db(request), slug=collection_id, feature_id=feature_id
            )
            if document is not None:
                text = b'%s,"links":%s}' % (document[:-1], _compact_json(links))
                return Response(text, media_type=GEOJSON, headers={"Content-Crs": f"<{crs}>"})
        layer, feature = service.layer_and_feature(get_db(request), slug=collection_id, feature_id=feature_id)
        body = _feature_json(feature, crs)
        body["links"] = links
        if _wants_html(request):
            body = {**body, "collection": layer.model_dump()}
        return _respond(request, body, "gis/ogc_item.html", GEOJSON, {"Content-Crs": f"<{crs}>"})

    return _guard(request, build)


# ------------------------------------------------------------------ OGC API - Tiles (vector tiles)


def _tiles_base(request: Request, collection_id: str) -> str:
    return f"{_base(request)}/collections/{collection_id}/tiles"


def _tileset(request: Request, layer: LayerRead) -> dict[str, Any]:
    base = _tiles_base(request, layer.slug)
    template = f"{base}/{tiles.TILE_MATRIX_SET}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
    return {
        "title": f"{layer.title} ({tiles.TILE_MATRIX_SET})",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": tiles.TILE_MATRIX_SET_URI,
        "tileMatrixSetLimits": [],
        "minzoom": tiles.MIN_ZOOM.get(layer.slug, 0),
        "maxzoom": tiles.MAX_ZOOM,
        "layers": [{"id": layer.slug, "dataType": "vector", "geometryType": layer.geometry_type.lower()}],
        "links": [
            _link(f"{base}/{tiles.TILE_MATRIX_SET}?f=json", "self", "application/json"),
            _link(
                tiles.TILE_MATRIX_SET_URI,
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "application/json",
                "WebMercatorQuad",
            ),
            {**_link(template, "item", tiles.MVT, "Mapbox vector tiles"), "templated": True},
        ],
    }


@router.get("/collections/{collection_id}/tiles", summary="Vector tilesets of a collection")
def tilesets(request: Request, collection_id: str) -> Response:
    """The tilesets (one, WebMercatorQuad) offered for a published collection."""

    def build() -> Response:
        layer = service.get_layer(get_db(request), collection_id, published_only=True)
        tileset = _tileset(request, layer)
        body = {
            "links": [_link(f"{_tiles_base(request, collection_id)}?f=json", "self", "application/json")],
            "tilesets": [
                {key: tileset[key] for key in ("title", "dataType", "crs", "tileMatrixSetURI", "links")}
            ],
        }
        return JSONResponse(body)

    return _guard(request, build)


@router.get("/collections/{collection_id}/tiles/{tile_matrix_set}", summary="Vector tileset metadata")
def tileset(request: Request, collection_id: str, tile_matrix_set: str) -> Response:
    """The WebMercatorQuad tileset of a published collection: zoom range, layer and tile URL template."""

    def build() -> Response:
        _check_matrix_set(tile_matrix_set)
        layer = service.get_layer(get_db(request), collection_id, published_only=True)
        return JSONResponse(_tileset(request, layer))

    return _guard(request, build)


def _check_matrix_set(tile_matrix_set: str) -> None:
    if tile_matrix_set != tiles.TILE_MATRIX_SET:
        raise OGCException(404, "NotFound", f"No tile matrix set {tile_matrix_set!r}; use WebMercatorQuad")


@router.get(
    "/collections/{collection_id}/tiles/{tile_matrix_set}/{tile_matrix}/{tile_row}/{tile_col}",
    summary="A vector tile (Mapbox Vector Tile)",
    response_class=Response,
    responses={200: {"content": {tiles.MVT: {}}}, 204: {"description": "No feature in this tile"}},
)
def tile(
    request: Request, collection_id: str, tile_matrix_set: str, tile_matrix: str, tile_row: str, tile_col: str
) -> Response:
    """One tile of a published collection: features clipped and simplified for the zoom; 204 if empty."""

    def build() -> Response:
        _check_matrix_set(tile_matrix_set)
        try:
            address = tiles.parse_tile(tile_matrix, tile_row, tile_col)
        except tiles.TileOutOfRange as exc:
            raise OGCException(400, "InvalidParameterValue", str(exc)) from exc
        unknown = [name for name in request.query_params if name not in ("f", "datetime", "lang")]
        if unknown:
            raise OGCException(
                400, "InvalidParameterValue", f"unknown query parameter(s): {', '.join(unknown)}"
            )
        params = request.query_params
        period = parse_datetime(params["datetime"]) if "datetime" in params else None
        data = tiles.encode_tile(get_db(request), slug=collection_id, tile=address, period=period)
        headers = {"Cache-Control": "public, max-age=300"}
        if data is None:
            return Response(status_code=204, headers=headers)
        return Response(data, media_type=tiles.MVT, headers=headers)

    return _guard(request, build)
