"""Sanitize a Markdown body's HTML: nh3 keeps safe tags, then a repair pass makes whatever is left valid HTML.

nh3 removes what is dangerous but keeps what is merely invalid (an img without alt, an `a` that lost its
javascript: href, a list item outside a list, a paragraph inside a span, a broken date in `time`). Pages
must pass the Nu HTML checker whatever a body holds, so the kept tree is walked once and every element
that its parent may not hold, or that misses what it needs, is fixed by the smallest change: an attribute
dropped or added, the element renamed to a div or span, or unwrapped (its text kept).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time

import nh3
from lxml import etree, html as lxml_html

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "h1",
}
# No align (obsolete on cells) and no colspan/rowspan: spans make tables whose shape the checker can refuse.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"},
    "th": {"scope"}, "time": {"datetime"}, "ol": {"start"}, "code": {"class"}, "q": {"cite"},
    "blockquote": {"cite"},
}

PHRASING = frozenset({"a", "abbr", "b", "br", "cite", "code", "del", "em", "i", "img", "ins", "kbd", "mark",
                      "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u"})
# Elements whose children must be phrasing content (the inline phrasing elements, too).
PHRASING_ONLY = PHRASING | {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "summary", "dt"}
_TABLE_PARTS = frozenset({"caption", "thead", "tbody", "tfoot", "tr", "td", "th"})
# Elements that may not stand anywhere inside some others (not only as a direct child).
_NOT_INSIDE = {"a": ("a",), "table": ("caption",), **{f"h{n}": ("th",) for n in range(1, 7)}}
_SCOPES = frozenset({"row", "col", "rowgroup", "colgroup"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URL_UNSAFE = re.compile(r"[\s\"<>\\^`{|}]")


def sanitize_html(fragment: str) -> str:
    """Keep a safe allowlist of tags and attributes (links get rel=noopener noreferrer), as valid HTML."""
    cleaned = nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    if "<" not in cleaned:
        return cleaned
    root = lxml_html.fragment_fromstring(cleaned, create_parent="div")
    _repair_children(root, phrasing=False)
    _even_headings(root)
    # The wrapper's own text is not serialized by lxml: it must be escaped here like every other text.
    return html.escape(root.text or "", quote=False) + "".join(lxml_html.tostring(child, encoding="unicode")
                                                               for child in root)


def _repair_children(parent: etree._Element, phrasing: bool) -> None:
    index = 0
    while index < len(parent):
        child = parent[index]
        if not isinstance(child.tag, str):  # a comment or processing instruction: nothing to show
            _unwrap(child, keep_children=False)
        elif _repair(child, parent, phrasing):
            _repair_children(child, phrasing or child.tag in PHRASING_ONLY)
            index += 1
        # else: the child was unwrapped, and its own children now stand at `index`, to be looked at next
    _fix_lists_and_tables(parent)


def _repair(el: etree._Element, parent: etree._Element, phrasing: bool) -> bool:
    """Fix one element in its place; False when it was removed (its children moved up, already repaired)."""
    tag = el.tag
    if tag == "img":
        return _repair_img(el)
    if _inside(el, _NOT_INSIDE.get(tag, ())):
        _unwrap(el)  # e.g. a link inside a link, a table inside a caption: keep the words
        return False
    if tag == "a":
        href = _url(el.get("href"))
        if href is None:
            _unwrap(el)  # nothing to link to: keep the words, drop the dead link
            return False
        el.set("href", href)
    if tag in ("q", "blockquote") and el.get("cite") is not None:
        _set_or_drop(el, "cite", _url(el.get("cite")))
    if tag == "time" and not _valid_datetime(el.get("datetime")):
        el.tag = "span"  # a time needs a machine-readable date; without one it is just words
        el.attrib.pop("datetime", None)
    if tag == "ol" and not (el.get("start") or "x").lstrip("-").isdigit():
        el.attrib.pop("start", None)
    if tag == "th" and el.get("scope") not in _SCOPES:
        el.attrib.pop("scope", None)
    misplaced = (
        (tag == "li" and parent.tag not in ("ul", "ol"))
        or (tag in ("dt", "dd") and parent.tag != "dl")
        or (tag in _TABLE_PARTS and not _table_part_in_place(el, tag, parent))
        or (tag == "figcaption" and (parent.tag != "figure" or not _first_or_last(el, parent)))
        or (tag == "summary" and (parent.tag != "details" or not _first(el, parent)))
    )
    if misplaced:
        el.tag = "div"
        el.attrib.clear()
        tag = "div"
    if phrasing and tag not in PHRASING:
        _unwrap(el)
        return False
    return True


def _inside(el: etree._Element, tags: tuple[str, ...]) -> bool:
    return bool(tags) and any(ancestor.tag in tags for ancestor in el.iterancestors())


def _repair_img(el: etree._Element) -> bool:
    src = _url(el.get("src"))
    if not src:
        _unwrap(el, keep_children=False)
        return False
    el.set("src", src)
    if el.get("alt") is None:
        el.set("alt", "")  # unknown content: an empty alt says "decorative" rather than nothing at all
    for name in ("width", "height"):
        if el.get(name) is not None and not el.get(name).isdigit():
            del el.attrib[name]
    return True


def _even_headings(root: etree._Element) -> None:
    """Headings that never skip a level: the page's title is the h1, so a body's headings start at h2 and
    each is at most one level below the one before it (the checker refuses an h4 straight after an h2)."""
    previous = 1
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        level = min(max(int(heading.tag[1]), 2), previous + 1)
        heading.tag = f"h{level}"
        previous = level


def _table_part_in_place(el: etree._Element, tag: str, parent: etree._Element) -> bool:
    if tag == "caption":
        return parent.tag == "table" and _first(el, parent)
    if tag in ("thead", "tbody", "tfoot"):
        return parent.tag == "table"
    if tag == "tr":
        return parent.tag in ("table", "thead", "tbody", "tfoot")
    return parent.tag == "tr"


def _fix_lists_and_tables(el: etree._Element) -> None:
    """Children that lists and tables may not hold go into an li, a cell or a row; rows get equal widths;
    a details gets the summary it needs."""
    if el.tag == "figure":
        captions = [c for c in el if c.tag == "figcaption"]
        for extra in captions[1:]:
            extra.tag = "div"  # one caption per figure; _repair kept only first-or-last ones
    elif el.tag == "details" and not _first(el.find("summary"), el):
        summary = _new("summary", text="Details")  # what browsers show for a details without one
        summary.tail, el.text = el.text, None
        el.insert(0, summary)
    elif el.tag in ("ul", "ol"):
        _wrap_strays(el, allowed={"li"}, wrapper="li")
    elif el.tag == "dl":
        _fix_dl(el)
    elif el.tag == "tr":
        _wrap_strays(el, allowed={"td", "th"}, wrapper="td")
    elif el.tag in ("thead", "tbody", "tfoot"):
        _wrap_strays(el, allowed={"tr"}, wrapper="tr")
    elif el.tag == "table":
        _wrap_strays(el, allowed={"caption", "thead", "tbody", "tfoot", "tr"}, wrapper="tr")
        _order_sections(el)
        _even_rows(el)


def _wrap_strays(el: etree._Element, allowed: set[str], wrapper: str) -> None:
    if el.text and el.text.strip():
        stray = _new(wrapper)
        (_new_in(stray, "td") if wrapper == "tr" else stray).text = el.text
        el.text = None
        el.insert(0, stray)
    for child in list(el):
        tail = child.tail
        if isinstance(child.tag, str) and child.tag not in allowed:
            box = _boxed(child, wrapper)
        else:
            box = child
        if tail and tail.strip():
            box.tail = None
            extra = _new(wrapper)
            (_new_in(extra, "td") if wrapper == "tr" else extra).text = tail
            box.addnext(extra)


def _boxed(child: etree._Element, wrapper: str) -> etree._Element:
    box = _new(wrapper)
    child.addprevious(box)
    box.tail, child.tail = child.tail, None
    (_new_in(box, "td") if wrapper == "tr" else box).append(child)
    return box


def _new_in(parent: etree._Element, tag: str) -> etree._Element:
    child = _new(tag)
    parent.append(child)
    return child


def _new(tag: str, text: str | None = None) -> etree._Element:
    el = lxml_html.Element(tag)
    el.text = text
    return el


def _order_sections(table: etree._Element) -> None:
    """caption, thead, body rows, tfoot: a head after the body or a foot before its end becomes body."""
    parts = [c for c in table if c.tag in ("thead", "tbody", "tfoot", "tr")]
    for index, part in enumerate(parts):
        if part.tag == "thead" and any(p.tag != "thead" for p in parts[:index]) or \
                part.tag == "thead" and any(p.tag == "thead" for p in parts[:index]):
            part.tag = "tbody"
        elif part.tag == "tfoot" and index != len(parts) - 1:
            part.tag = "tbody"
    if any(p.tag == "tr" for p in parts) and any(p.tag != "tr" for p in parts):
        for row in [p for p in parts if p.tag == "tr"]:
            body = _new("tbody")
            row.addprevious(body)
            body.append(row)


def _even_rows(table: etree._Element) -> None:
    """Every row as wide as the widest (the checker refuses rows that leave columns without cells)."""
    rows = [r for part in table for r in (part if part.tag in ("thead", "tbody", "tfoot") else [part])
            if r.tag == "tr"]
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        for _ in range(width - len(row)):
            row.append(_new("td"))
    for row in rows:
        if len(row) == 0:
            row.getparent().remove(row)  # a row with no cells is a table-shape error


def _fix_dl(el: etree._Element) -> None:
    """A dl must be groups of dt then dd; anything else turns into plain divs, its words kept."""
    tags = [child.tag for child in el if isinstance(child.tag, str)]
    shape = "".join("t" if t == "dt" else "d" if t == "dd" else "x" for t in tags)
    text_inside = (el.text or "").strip() or any((c.tail or "").strip() for c in el)
    if re.fullmatch(r"(t+d+)*", shape) and not text_inside:
        return
    el.tag = "div"
    for child in el:
        if child.tag in ("dt", "dd"):
            child.tag = "div"


def _first(el: etree._Element | None, parent: etree._Element) -> bool:
    if el is None:
        return False
    siblings = [c for c in parent if isinstance(c.tag, str)]
    return bool(siblings) and siblings[0] is el and not (parent.text or "").strip()


def _first_or_last(el: etree._Element, parent: etree._Element) -> bool:
    siblings = [c for c in parent if isinstance(c.tag, str)]
    if siblings and siblings[-1] is el and not (el.tail or "").strip():
        return True
    return _first(el, parent)


def _unwrap(el: etree._Element, keep_children: bool = True) -> None:
    """Replace el by its text and children (or by nothing but its tail)."""
    parent = el.getparent()
    index = parent.index(el)
    text = (el.text or "") if keep_children else ""
    children = list(el) if keep_children else []
    tail = el.tail or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + text
    parent.remove(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    last = children[-1] if children else (parent[index - 1] if index > 0 else None)
    if last is None:
        parent.text = (parent.text or "") + tail
    else:
        last.tail = (last.tail or "") + tail


def _url(value: str | None) -> str | None:
    """A URL the checker accepts, or None: characters URLs may not hold are percent-encoded; an absolute
    http(s) URL needs a plain host name."""
    if value is None:
        return None
    url = _URL_UNSAFE.sub(lambda m: "%{:02X}".format(ord(m.group(0))), value.strip())
    url = _BAD_PERCENT.sub("%25", url)
    if not url:
        return None
    if url.count("#") > 1:  # a fragment may not hold another '#'
        head, _, fragment = url.partition("#")
        url = head + "#" + fragment.replace("#", "%23")
    scheme, sep, rest = url.partition(":")
    if sep and scheme.lower() in ("http", "https"):
        host = rest[2:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] if rest.startswith("//") else ""
        if not _HOST.fullmatch(host) or host.startswith("-"):  # no credentials (user@host), no odd hosts
            return None
    elif sep and scheme.lower() == "mailto":
        return url if "@" in rest else None
    elif sep and _SCHEME.fullmatch(scheme):
        return None  # any other scheme (javascript:, data:, ...): nh3 checks href and src, not cite
    return url


def _set_or_drop(el: etree._Element, name: str, value: str | None) -> None:
    if value is None:
        el.attrib.pop(name, None)
    else:
        el.set(name, value)


_DATETIME = re.compile(r"\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?)?"
                       r"|\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?")


def _valid_datetime(value: str | None) -> bool:
    """Dates and times in the forms the checker accepts for `time` (a real calendar date included)."""
    if value is None or not _DATETIME.fullmatch(value):
        return False
    try:
        if ":" in value and "-" not in value:
            time.fromisoformat(value)
        elif len(value) == 7:
            date.fromisoformat(value + "-01")
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return not value.startswith("0000")
