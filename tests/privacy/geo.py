"""Coordinates for the attack suite: a local metric frame around Utrecht, and the
Dutch RD New grid (EPSG:28992) for cell ids the server names in RD metres.

The town is laid out in local metres (x east, y north) from an origin near Utrecht
Centraal; uploads and downloads go through WGS 84 latitude and longitude. Over a few
kilometres the equirectangular frame is exact to centimetres, far below the GPS noise.
"""
import math

import numpy as np

LAT0 = 52.09
LON0 = 5.12
_A, _E2 = 6_378_137.0, 0.00669437999014  # WGS 84
_S2 = math.sin(math.radians(LAT0)) ** 2
M_PER_DEG_LAT = math.radians(1) * _A * (1 - _E2) / (1 - _E2 * _S2) ** 1.5
M_PER_DEG_LON = math.radians(1) * _A / math.sqrt(1 - _E2 * _S2) * math.cos(math.radians(LAT0))


def to_latlon(x, y):
    """Local metres to (lat, lon) in degrees; works on numbers and numpy arrays."""
    return LAT0 + np.asarray(y) / M_PER_DEG_LAT, LON0 + np.asarray(x) / M_PER_DEG_LON


def to_xy(lat, lon):
    """(lat, lon) in degrees to local metres; numbers or arrays."""
    return ((np.asarray(lon, dtype=float) - LON0) * M_PER_DEG_LON,
            (np.asarray(lat, dtype=float) - LAT0) * M_PER_DEG_LAT)


# RD New to WGS 84 by the published approximation (Schreutelaar; accurate to about 1 m
# over the Netherlands): phi and lambda as polynomials in the offsets from Amersfoort.
_RD_K = {(0, 1): 3235.65389, (2, 0): -32.58297, (0, 2): -0.24750, (2, 1): -0.84978,
         (0, 3): -0.06550, (2, 2): -0.01709, (1, 0): -0.00738, (4, 0): 0.00530,
         (2, 3): -0.00039, (4, 1): 0.00033, (1, 1): -0.00012}
_RD_L = {(1, 0): 5260.52916, (1, 1): 105.94684, (1, 2): 2.45656, (3, 0): -0.81885,
         (1, 3): 0.05594, (3, 1): -0.05607, (0, 1): 0.01199, (3, 2): -0.00256,
         (1, 4): 0.00128, (0, 2): 0.00022, (2, 0): -0.00022, (5, 0): 0.00026}


def rd_to_latlon(x, y):
    dx = (x - 155_000.0) * 1e-5
    dy = (y - 463_000.0) * 1e-5
    phi = 52.15517440 + sum(k * dx ** p * dy ** q for (p, q), k in _RD_K.items()) / 3600.0
    lam = 5.38720621 + sum(k * dx ** p * dy ** q for (p, q), k in _RD_L.items()) / 3600.0
    return phi, lam


def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def geometry_centre_xy(geometry):
    """The centre (local metres) and a size (metres: the square root of the area, or
    0 for a point) of a GeoJSON geometry in WGS 84; None for no geometry."""
    if not geometry:
        return None
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Point":
        x, y = to_xy(coords[1], coords[0])
        return float(x), float(y), 0.0
    rings = []
    if kind == "Polygon":
        rings = [coords[0]]
    elif kind == "MultiPolygon":
        rings = [poly[0] for poly in coords]
    else:
        return None
    total_a = cx = cy = 0.0
    for ring in rings:
        pts = np.array(ring, dtype=float)
        xs, ys = to_xy(pts[:, 1], pts[:, 0])
        a, gx, gy = _ring_centroid(xs, ys)
        total_a += a
        cx += gx * a
        cy += gy * a
    if total_a <= 0:
        pts = np.array(rings[0], dtype=float)
        xs, ys = to_xy(pts[:, 1], pts[:, 0])
        return float(xs.mean()), float(ys.mean()), 0.0
    return cx / total_a, cy / total_a, math.sqrt(total_a)


def _ring_centroid(xs, ys):
    x0, y0 = xs[:-1], ys[:-1]
    x1, y1 = xs[1:], ys[1:]
    cross = x0 * y1 - x1 * y0
    a = cross.sum() / 2.0
    if abs(a) < 1e-9:
        return 0.0, float(xs.mean()), float(ys.mean())
    gx = ((x0 + x1) * cross).sum() / (6.0 * a)
    gy = ((y0 + y1) * cross).sum() / (6.0 * a)
    return abs(a), float(gx), float(gy)


def cell_id_centre_xy(cell_id):
    """Centre (local metres) and size of a cell named by the server's ids: rd<size>-<x>-<y>
    (lower-left corner in RD metres). Hexagon and area ids need their geometry."""
    if not isinstance(cell_id, str) or not cell_id.startswith("rd"):
        return None
    try:
        size_s, x_s, y_s = cell_id[2:].split("-")
        size, x, y = float(size_s), float(x_s), float(y_s)
    except ValueError:
        return None
    lat, lon = rd_to_latlon(x + size / 2, y + size / 2)
    cx, cy = to_xy(lat, lon)
    return float(cx), float(cy), size
