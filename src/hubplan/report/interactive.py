"""The HTML report's interactive map: zoom, and hover over an area for its minutes and hospitals.

Every area of the network is a dot at its centre on a canvas, coloured by its minutes to
hub under the option chosen above the map, with the boundaries of the appraisal's regions
and the option's hubs and spokes. Scroll to zoom, drag to move; hovering over an area shows
its code and name, its minutes to the hub and the hub, and, where patients are seen first
elsewhere (treat and transfer), the first hospital and its minutes; hovering over a site
names it. The page's own small script draws it (no plotly.js, nothing loaded from the
network), so it works offline and adds little to the file.

To keep the file small the data are sent once and compactly (:func:`map_data`): area
outlines and centres in British National Grid metres on a grid of at least 10 m (outline
points as ``int8`` steps from the last point), minutes in tenths of a minute and site
numbers, as little-endian ``uint16``, all in base64; region boundaries simplified to 250 m
in tens of metres. The static maps stay in the report for
print (the interactive map is left out of printing).
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from hubplan.geography.network import region_words
from hubplan.report.maps import MapGeometry, project

if TYPE_CHECKING:
    from hubplan.planning.appraise import Appraisal

#: ``uint16`` value meaning "no value" (no road route, or no position).
MISSING = 65535
#: Hover text of an area (the page fills in each ``{...}``; the first-hospital line only
#: where the first hospital is not the hub).
HOVER_TEMPLATE = "{code} {name}\nminutes to hub: {minutes}\nhospital (hub): {hub}"
HOVER_FIRST = "\nfirst hospital: {first} ({first_minutes})"


def _shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


#: An ``int8`` step meaning "the next point is absolute" (every ring's first point, and any
#: step longer than 127 grid units).
JUMP = -128


def _encode_rings(rings: list[np.ndarray], x0: float, y0: float, unit: float) -> dict[str, Any]:
    """Rings on the grid of ``unit`` metres from (x0, y0): each point a step of at most 127
    units from the last (``int8`` ``dx``/``dy``), or :data:`JUMP` and the point itself in
    ``x``/``y`` (``uint16``); repeated points dropped; ``length`` the points of each ring."""
    absolute: list[np.ndarray] = []
    steps: list[np.ndarray] = []
    lengths = []
    for ring in rings:
        q = np.rint((ring - (x0, y0)) / unit).astype(np.int64)
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = (np.diff(q, axis=0) != 0).any(axis=1)
        q = q[keep] if keep.sum() >= 3 else q
        step = np.diff(q, axis=0, prepend=q[:1])
        jump = np.zeros(len(q), dtype=bool)
        jump[0] = True
        jump |= (np.abs(step) > 127).any(axis=1)
        step[jump] = JUMP
        absolute.append(q[jump])
        steps.append(step)
        lengths.append(len(q))
    a = np.concatenate(absolute) if absolute else np.zeros((0, 2), dtype=np.int64)
    st = np.concatenate(steps) if steps else np.zeros((0, 2), dtype=np.int64)
    return {"x": _u16(a[:, 0]), "y": _u16(a[:, 1]), "dx": _i8(st[:, 0]), "dy": _i8(st[:, 1]),
            "length": _u16(np.array(lengths))}


_CODE = re.compile(r"^([A-Z]\d\d)(\d{6})$")


def encode_codes(codes: list[str]) -> dict[str, Any]:
    """Area codes: ONS codes (``E01031349``: three characters and six digits) as a list of
    prefixes, each code's prefix (``uint8``) and its number (``uint32``); others as a list."""
    parts = [_CODE.match(c) for c in codes]
    prefixes = sorted({m.group(1) for m in parts if m is not None})
    if not codes or any(m is None for m in parts) or len(prefixes) > 255:
        return {"list": codes}
    index = {p: i for i, p in enumerate(prefixes)}
    return {"prefixes": prefixes,
            "prefix": base64.b64encode(np.array([index[m.group(1)] for m in parts if m], dtype=np.uint8).tobytes())
            .decode(),
            "number": base64.b64encode(np.array([int(m.group(2)) for m in parts if m], dtype="<u4").tobytes())
            .decode()}


def encode_names(names: list[str]) -> dict[str, Any]:
    """Area names as the list of their first parts (all but the last word: ``Adur`` of ``Adur
    001A``), each name's first part (``uint16``) and its last word; names sharing a district
    are sent once."""
    heads, tails = zip(*[(n.rsplit(" ", 1) if " " in n else ("", n)) for n in names]) if names else ((), ())
    unique = sorted(set(heads))
    if len(unique) >= MISSING:
        return {"list": names}
    index = {h: i for i, h in enumerate(unique)}
    return {"heads": unique, "head": _u16(np.array([index[h] for h in heads], dtype=np.int64)), "tails": list(tails)}


def _sites(positions: np.ndarray, n_sites: int) -> dict[str, str]:
    """Site positions (``-1`` none) as ``uint8`` (none = 255) when there are under 255 sites,
    else ``uint16`` (none = :data:`MISSING`): ``{"u8": ...}`` or ``{"u16": ...}``."""
    if n_sites < 255:
        return {"u8": base64.b64encode(np.where(positions < 0, 255, positions).astype(np.uint8).tobytes()).decode()}
    return {"u16": _u16(np.where(positions < 0, MISSING, positions))}


def _i8(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype=np.int8).tobytes()).decode("ascii")


def _u16(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<u2").tobytes()).decode("ascii")


def _tenths(minutes: np.ndarray) -> np.ndarray:
    m = np.asarray(minutes, dtype=float)
    out = np.full(len(m), MISSING, dtype=np.int64)
    ok = np.isfinite(m)
    out[ok] = np.clip(np.rint(m[ok] * 10), 0, MISSING - 1)
    return out


def map_data(appraisal: "Appraisal", geometry: MapGeometry | None = None) -> dict[str, Any]:
    """What the interactive map draws, as JSON-ready values (see the module docstring).

    ``geometry`` (the static maps' :class:`~hubplan.report.maps.MapGeometry`) gives the
    region boundaries and site positions in metres; without it sites are projected here
    and no boundaries are drawn.
    """
    from hubplan.report.figures import TIME_BREAKS, TIME_COLOURS, time_labels

    network = appraisal.network
    areas, sites = network.areas, network.sites
    lon = areas["longitude"].to_numpy(dtype=float) if "longitude" in areas else np.full(len(areas), np.nan)
    lat = areas["latitude"].to_numpy(dtype=float) if "latitude" in areas else np.full(len(areas), np.nan)
    site_lon, site_lat = sites["longitude"].to_numpy(dtype=float), sites["latitude"].to_numpy(dtype=float)
    x, y, projection = project(np.concatenate([lon, site_lon]), np.concatenate([lat, site_lat]))
    ax, ay = x[:len(lon)], y[:len(lon)]
    site_x, site_y = (geometry.site_xy[:, 0], geometry.site_xy[:, 1]) if geometry is not None \
        else (x[len(lon):], y[len(lon):])
    ok = np.isfinite(ax) & np.isfinite(ay)
    # a site without a position (a user's network may give none) is not drawn, but still named
    placed = np.isfinite(site_x) & np.isfinite(site_y)
    rings = geometry.rings if geometry is not None else []
    ring_xy = np.concatenate(rings) if rings else np.zeros((0, 2))
    everything = np.concatenate([np.column_stack([ax[ok], ay[ok]]), ring_xy])
    everything = everything[np.isfinite(everything).all(axis=1)]
    low = np.floor(everything.min(axis=0)) if len(everything) else np.zeros(2)
    span = float((everything.max(axis=0) - low).max()) if len(everything) else 0.0
    x0, y0 = float(low[0]), float(low[1])
    unit = max(10.0, float(np.ceil(span / (MISSING - 1) / 10.0) * 10.0))
    qx = np.full(len(ax), MISSING, dtype=np.int64)
    qy = np.full(len(ay), MISSING, dtype=np.int64)
    qx[ok] = np.rint((ax[ok] - x0) / unit)
    qy[ok] = np.rint((ay[ok] - y0) / unit)
    polygons = None
    if rings and geometry is not None and len(areas) < MISSING:
        # largest first, as on the static maps: an area inside another is drawn over it
        sizes = np.array([_shoelace(r) for r in rings])
        order = np.argsort(-sizes, kind="stable")
        ordered = [rings[i] for i in order]
        polygons = _encode_rings(ordered, x0, y0, unit)
        polygons["area"] = _u16(np.asarray(geometry.ring_area)[order])
    options = []
    for ev in appraisal.evaluations:
        routes = ev.routes
        same_first = bool(np.array_equal(routes.first_site, routes.hub_site))
        options.append({
            "name": ev.option.name,
            "hub_minutes": _u16(_tenths(routes.time_to_hub)),
            "hub": _sites(np.where(np.isfinite(routes.time_to_hub), routes.hub_site, -1), len(sites)),
            "first_minutes": None if same_first else _u16(_tenths(routes.time_to_first)),
            "first": None if same_first else _sites(np.where(np.isfinite(routes.time_to_first), routes.first_site,
                                                             -1), len(sites)),
            "hubs": [int(p) for p in ev.hub_positions if placed[p]],
            "spokes": [int(p) for p in ev.spoke_positions if placed[p]],
        })
    boundaries: list[list[float | None]] = [[], []]
    if geometry is not None:
        for geom in geometry.regions.values():
            for poly in getattr(geom, "geoms", [geom]):
                if hasattr(poly, "exterior"):
                    ring = np.asarray(poly.exterior.coords)
                    boundaries[0] += [int(round(float(v) / 10)) for v in ring[:, 0]] + [None]
                    boundaries[1] += [int(round(float(v) / 10)) for v in ring[:, 1]] + [None]
    return {
        "n_areas": int(len(areas)),
        "codes": encode_codes(areas.index.astype(str).tolist()),
        "names": encode_names(areas["area_name"].astype(str).tolist() if "area_name" in areas
                              else areas.index.astype(str).tolist()),
        "x0": x0, "y0": y0, "unit": unit, "x": _u16(qx), "y": _u16(qy), "missing": MISSING,
        "polygons": polygons,
        "projection": projection,
        "sites": sites["site_name"].astype(str).tolist(),
        "site_x": [round(float(v)) if ok_ else None for v, ok_ in zip(site_x, placed)],
        "site_y": [round(float(v)) if ok_ else None for v, ok_ in zip(site_y, placed)],
        "options": options,
        "breaks": list(TIME_BREAKS), "colours": list(TIME_COLOURS), "labels": list(time_labels()),
        "boundaries": {"x": boundaries[0], "y": boundaries[1], "unit": 10,
                       "name": f"{region_words(appraisal.region_type)[0]} boundary"},
        "hover": HOVER_TEMPLATE, "hover_first": HOVER_FIRST,
    }


#: The page's script: decode the data, draw the chosen option on a canvas, zoom, pan, hover.
SCRIPT = r"""
(function(){
var d=JSON.parse(document.getElementById('interactive-map-data').textContent);
function u16(s){var b=atob(s),n=b.length/2,o=new Uint16Array(n);for(var i=0;i<n;i++){o[i]=b.charCodeAt(2*i)|(b.charCodeAt(2*i+1)<<8);}return o;}
function u8(s){var b=atob(s),o=new Uint16Array(b.length);for(var i=0;i<b.length;i++){var c=b.charCodeAt(i);o[i]=c===255?M:c;}return o;}
function sites16(v){return v.u8!==undefined?u8(v.u8):u16(v.u16);}
function i8(s){var b=atob(s),o=new Int8Array(b.length);for(var i=0;i<b.length;i++){o[i]=(b.charCodeAt(i)<<24)>>24;}return o;}
function strings(v,join){if(v.list)return v.list;var out=new Array(d.n_areas);
 if(join){var h=u16(v.head);for(var i=0;i<out.length;i++){var a=v.heads[h[i]];out[i]=a?a+' '+v.tails[i]:v.tails[i];}return out;}
 var b=atob(v.number),p=atob(v.prefix);for(var i=0;i<out.length;i++){var x=(b.charCodeAt(4*i)|(b.charCodeAt(4*i+1)<<8)|(b.charCodeAt(4*i+2)<<16))+b.charCodeAt(4*i+3)*16777216;
  out[i]=v.prefixes[p.charCodeAt(i)]+('000000'+x).slice(-6);}return out;}
var CODES=strings(d.codes,false),NAMES=strings(d.names,true);
var M=d.missing,n=d.n_areas,U=d.unit,qx=u16(d.x),qy=u16(d.y),X=new Float64Array(n),Y=new Float64Array(n),ok=new Uint8Array(n);
var x0=1e99,x1=-1e99,y0=1e99,y1=-1e99;
function grow(x,y){if(x<x0)x0=x;if(x>x1)x1=x;if(y<y0)y0=y;if(y>y1)y1=y;}
for(var i=0;i<n;i++){if(qx[i]===M||qy[i]===M)continue;ok[i]=1;X[i]=d.x0+qx[i]*U;Y[i]=d.y0+qy[i]*U;grow(X[i],Y[i]);}
/* polygons: ring r has points start[r]..start[r+1]-1, area owner[r], bounding box bb[4r..4r+3] */
var P=d.polygons,R=0,RX,RY,start,owner,bb,hasRing=new Uint8Array(n);
if(P){var ax=u16(P.x),ay=u16(P.y),sx8=i8(P.dx),sy8=i8(P.dy),len=u16(P.length);owner=u16(P.area);R=len.length;
 RX=new Float64Array(sx8.length);RY=new Float64Array(sy8.length);start=new Uint32Array(R+1);bb=new Float64Array(4*R);
 var at=0,a=0,gx=0,gy=0;
 for(var r=0;r<R;r++){start[r]=at;var a0=1e99,a1=-1e99,b0=1e99,b1=-1e99;hasRing[owner[r]]=1;
  for(var j=at;j<at+len[r];j++){if(sx8[j]===-128){gx=ax[a];gy=ay[a];a++;}else{gx+=sx8[j];gy+=sy8[j];}
   RX[j]=d.x0+gx*U;RY[j]=d.y0+gy*U;grow(RX[j],RY[j]);
   if(RX[j]<a0)a0=RX[j];if(RX[j]>a1)a1=RX[j];if(RY[j]<b0)b0=RY[j];if(RY[j]>b1)b1=RY[j];}
  bb[4*r]=a0;bb[4*r+1]=a1;bb[4*r+2]=b0;bb[4*r+3]=b1;at+=len[r];}start[R]=at;}
if(x0>x1){x0=0;x1=1000;y0=0;y1=1000;}
var BX=d.boundaries.x,BY=d.boundaries.y,BU=d.boundaries.unit;
var canvas=document.getElementById('interactive-map'),tip=document.getElementById('interactive-map-tip');
var select=document.getElementById('interactive-map-option'),ctx=canvas.getContext('2d');
var cache={},k=0,scale=1,base=1,ox=0,oy=0,W=0,H=0;
function opt(j){if(!cache[j]){var o=d.options[j];cache[j]={hm:u16(o.hub_minutes),h:sites16(o.hub),
 fm:o.first_minutes?u16(o.first_minutes):null,f:o.first?sites16(o.first):null};}return cache[j];}
function cls(t){if(t===M)return d.colours.length;for(var j=0;j<d.breaks.length;j++){if(t<d.breaks[j]*10)return j;}return d.breaks.length;}
function colour(c){return c<d.colours.length?d.colours[c]:'#9e9e9e';}
function mins(t){return t===M?'no known road route':(t/10).toFixed(1)+' min';}
function sx(x){return (x-ox)*scale;} function sy(y){return H-(y-oy)*scale;}
function fit(){var r=canvas.getBoundingClientRect();W=r.width;H=r.height;var dpr=window.devicePixelRatio||1;
 canvas.width=Math.round(W*dpr);canvas.height=Math.round(H*dpr);ctx.setTransform(dpr,0,0,dpr,0,0);}
function home(){fit();var pad=0.03*Math.max(x1-x0,y1-y0)+500;scale=Math.min(W/(x1-x0+2*pad),H/(y1-y0+2*pad));
 ox=(x0+x1)/2-W/2/scale;oy=(y0+y1)/2-H/2/scale;draw();}
function radius(){return Math.max(1.5,Math.min(9,Math.sqrt(W*H/Math.max(n,1))*0.35*Math.sqrt(scale/base)));}
/* fill, and stroke in the same colour so that no hairline shows between neighbours */
function paint(){ctx.fill();ctx.strokeStyle=ctx.fillStyle;ctx.lineWidth=0.7;ctx.stroke();}
function draw(){var v=opt(k),o=d.options[k],r=radius();ctx.fillStyle='#ffffff';ctx.fillRect(0,0,W,H);
 var wx0=ox,wx1=ox+W/scale,wy0=oy,wy1=oy+H/scale,cur=-1;
 for(var q=0;q<R;q++){if(bb[4*q+1]<wx0||bb[4*q]>wx1||bb[4*q+3]<wy0||bb[4*q+2]>wy1)continue;
  var c=cls(v.hm[owner[q]]);if(c!==cur){if(cur>=0)paint();ctx.fillStyle=colour(c);ctx.beginPath();cur=c;}
  ctx.moveTo(sx(RX[start[q]]),sy(RY[start[q]]));for(var j=start[q]+1;j<start[q+1];j++)ctx.lineTo(sx(RX[j]),sy(RY[j]));ctx.closePath();}
 if(cur>=0)paint();
 for(var c=0;c<=d.colours.length;c++){ctx.fillStyle=colour(c);ctx.beginPath();var any=false;
  for(var i=0;i<n;i++){if(!ok[i]||hasRing[i]||cls(v.hm[i])!==c)continue;var a=sx(X[i]),b=sy(Y[i]);
   if(a<-r||a>W+r||b<-r||b>H+r)continue;ctx.rect(a-r,b-r,2*r,2*r);any=true;}if(any)ctx.fill();}
 ctx.strokeStyle='#333333';ctx.lineWidth=1;ctx.beginPath();var pen=false;
 for(var j=0;j<BX.length;j++){if(BX[j]===null){pen=false;continue;}var a=sx(BX[j]*BU),b=sy(BY[j]*BU);
  if(pen)ctx.lineTo(a,b);else{ctx.moveTo(a,b);pen=true;}}ctx.stroke();
 o.spokes.forEach(function(p){ctx.beginPath();ctx.arc(sx(d.site_x[p]),sy(d.site_y[p]),4,0,2*Math.PI);
  ctx.fillStyle='white';ctx.fill();ctx.strokeStyle='black';ctx.lineWidth=1.2;ctx.stroke();});
 o.hubs.forEach(function(p){var a=sx(d.site_x[p]),b=sy(d.site_y[p]);ctx.beginPath();ctx.moveTo(a,b-7);
  ctx.lineTo(a+6,b+4);ctx.lineTo(a-6,b+4);ctx.closePath();ctx.fillStyle='black';ctx.fill();
  ctx.strokeStyle='white';ctx.lineWidth=1;ctx.stroke();});}
function legend(){var el=document.getElementById('interactive-map-legend'),h='';
 for(var c=0;c<=d.colours.length;c++){h+='<span><i style="background:'+colour(c)+'"></i>'+(c<d.labels.length?d.labels[c]:'no known road route')+'</span>';}
 h+='<span>&#9650; hub</span><span>&#9675; spoke</span>';if(BX.length)h+='<span>&#9472; '+d.boundaries.name+'</span>';el.innerHTML=h;}
function fill(t,f){return t.replace(/\{(\w+)\}/g,function(m,key){return f[key];});}
function inside(q,x,y){var c=false;for(var i=start[q],j=start[q+1]-1;i<start[q+1];j=i++){
 if(((RY[i]>y)!==(RY[j]>y))&&(x<(RX[j]-RX[i])*(y-RY[i])/(RY[j]-RY[i])+RX[i]))c=!c;}return c;}
function areaAt(mx,my){var x=mx/scale+ox,y=(H-my)/scale+oy;
 for(var q=R-1;q>=0;q--){if(x<bb[4*q]||x>bb[4*q+1]||y<bb[4*q+2]||y>bb[4*q+3])continue;if(inside(q,x,y))return owner[q];}
 var best=-1,bd=Math.pow(Math.max(radius(),4)+2,2);
 for(var i=0;i<n;i++){if(!ok[i]||hasRing[i])continue;var dd=Math.pow(sx(X[i])-mx,2)+Math.pow(sy(Y[i])-my,2);if(dd<=bd){bd=dd;best=i;}}
 return best;}
function hover(ev){var r=canvas.getBoundingClientRect(),mx=ev.clientX-r.left,my=ev.clientY-r.top,v=opt(k),o=d.options[k];
 var bd=64,text='';
 o.hubs.concat(o.spokes).forEach(function(p){var dd=Math.pow(sx(d.site_x[p])-mx,2)+Math.pow(sy(d.site_y[p])-my,2);
  if(dd<bd){bd=dd;text=d.sites[p]+(o.hubs.indexOf(p)>=0?' (hub)':' (spoke)');}});
 if(!text){var i=areaAt(mx,my);
  if(i>=0){var f={code:CODES[i],name:NAMES[i],minutes:mins(v.hm[i]),hub:v.h[i]===M?'none':d.sites[v.h[i]]};
   text=fill(d.hover,f);if(v.fm&&v.f[i]!==v.h[i]){text+=fill(d.hover_first,{first:v.f[i]===M?'none':d.sites[v.f[i]],first_minutes:mins(v.fm[i])});}}}
 if(text){tip.textContent=text;tip.style.display='block';tip.style.left=Math.min(mx+14,W-260)+'px';tip.style.top=(my+12)+'px';}
 else tip.style.display='none';}
var drag=null;
canvas.addEventListener('wheel',function(ev){ev.preventDefault();var r=canvas.getBoundingClientRect(),mx=ev.clientX-r.left,my=ev.clientY-r.top;
 var wx=mx/scale+ox,wy=(H-my)/scale+oy,f=ev.deltaY<0?1.25:0.8;scale*=f;ox=wx-mx/scale;oy=wy-(H-my)/scale;draw();hover(ev);},{passive:false});
canvas.addEventListener('mousedown',function(ev){drag={x:ev.clientX,y:ev.clientY,ox:ox,oy:oy};});
window.addEventListener('mouseup',function(){drag=null;});
canvas.addEventListener('mousemove',function(ev){if(drag){ox=drag.ox-(ev.clientX-drag.x)/scale;oy=drag.oy+(ev.clientY-drag.y)/scale;draw();}hover(ev);});
canvas.addEventListener('mouseleave',function(){tip.style.display='none';});
canvas.addEventListener('dblclick',home);
document.getElementById('interactive-map-home').addEventListener('click',home);
d.options.forEach(function(o,j){var e=document.createElement('option');e.value=j;e.textContent=o.name;select.appendChild(e);});
select.addEventListener('change',function(){k=+select.value;draw();});
window.addEventListener('resize',function(){fit();draw();});
legend();home();base=scale;
})();
"""

#: Styles of the interactive map (added to the report's CSS).
CSS = """
.interactive-map-block { position: relative; margin: 8px 0 18px; }
.interactive-map-block canvas { width: 100%; height: 620px; border: 1px solid var(--line, #d9dee4); cursor: grab; display: block; }
.interactive-map-tip { position: absolute; display: none; pointer-events: none; background: white; border: 1px solid #888;
  padding: 4px 7px; font-size: 12.5px; white-space: pre; box-shadow: 0 1px 4px rgba(0,0,0,.2); }
.interactive-map-legend span { display: inline-block; margin: 2px 12px 2px 0; font-size: 12.5px; }
.interactive-map-legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border: 1px solid #777; }
@media print { .interactive-map-block { display: none; } }
"""


def map_html(data: dict[str, Any] | None) -> str:
    """The interactive map's block (option chooser, canvas, legend, data, script), or nothing."""
    if data is None:
        return ""
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return ('<div class="interactive-map-block"><label for="interactive-map-option">Option: </label>'
            '<select id="interactive-map-option"></select> <button type="button" id="interactive-map-home">'
            "Whole map</button>"
            '<div class="interactive-map-wrap" style="position:relative">'
            f'<canvas id="interactive-map" role="img" aria-label="Interactive map of minutes to hub for '
            f'{data["n_areas"]:,} areas"></canvas><div id="interactive-map-tip" class="interactive-map-tip"></div></div>'
            '<div id="interactive-map-legend" class="interactive-map-legend"></div>'
            '<p class="table-notes">Scroll to zoom, drag to move, double-click (or Whole map) to go back; hover over '
            "an area for its minutes and hospitals (areas without a boundary are squares at their centres).</p>"
            f'<script type="application/json" id="interactive-map-data">{payload}</script>'
            f"<script>{SCRIPT}</script></div>")
