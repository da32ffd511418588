"""The email edition of a day: its visible items through the theme's email templates into an HTML part
(CSS inlined for mail clients), a text part and a multipart/alternative message."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import css_inline
import jinja2

from site_builder.config import SiteConfig
from site_builder.errors import SiteError, ThemeError
from site_builder.stages.collect import Group, Site
from site_builder.stages.views import day_label, day_url, item_view, site_view
from site_builder.urls import absolute

log = logging.getLogger(__name__)

HTML_TEMPLATE = "email/edition.html"
TEXT_TEMPLATE = "email/edition.txt"
WIDTH = 600            # the message's width in px, the common ground of mail clients
IMAGE_WIDTH = 536      # the widest an image may be inside the message's padding
# The theme's <style> is inlined into style attributes; @media rules (dark mode, narrow screens) cannot be,
# so they stay in a <style> in the head. Stylesheets from elsewhere are never fetched.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class Edition:
    """A day's email edition: its date, subject, and the HTML and text bodies."""

    day: str          # YYYY-MM-DD in the site timezone
    subject: str
    date: datetime    # the start of the day in the site timezone: the message's Date
    html: str
    text: str


def pick_day(site: Site, day: str | None) -> Group:
    """The day's group of visible items (default: the latest day); a SiteError when it has none."""
    if not site.days:
        raise SiteError("no visible items in the site: there is no edition to make")
    if day is None:
        return site.days[0]
    for group in site.days:
        if group.slug == day:
            return group
    latest = ", ".join(g.slug for g in site.days[:5])
    raise SiteError(f"no visible items on {day} (the latest days with items: {latest})")


def edition_context(site: Site, day: Group, config: SiteConfig) -> dict[str, Any]:
    """What the email templates see: the site, the edition and its items, every URL absolute."""
    by_slug = site.by_slug()
    items = [_email_item(item_view(by_slug[slug], config), config) for slug in day.items]
    top = items[0]
    return {
        "site": {**site_view(site, config), "url": config.base_url,
                 "feed_url": absolute(config.base_url, "/feed.xml")},
        "edition": {"day": day.slug, "label": day_label(day.slug), "count": len(items),
                    "url": absolute(config.base_url, day_url(day.slug)),
                    "subject": subject(config, day.slug),
                    "preheader": top["excerpt"] or top["description"] or top["title"]},
        "items": items,
        "width": WIDTH,
    }


def _email_item(view: dict[str, Any], config: SiteConfig) -> dict[str, Any]:
    """An item view with absolute URLs and an image sized for the message (only one with known size)."""
    image = view["image"]
    sized = None
    if image and image["width"] and image["height"]:
        width = min(IMAGE_WIDTH, image["width"])
        sized = {"url": image["url"], "width": width, "height": round(image["height"] * width / image["width"]),
                 "alt": view["title"]}
    return {**view, "url": absolute(config.base_url, view["url"]), "image": sized,
            "day_url": absolute(config.base_url, view["day_url"]),
            "provider": view["provider"] and {**view["provider"], "url": absolute(config.base_url,
                                                                                  view["provider"]["url"])},
            "topics": [{**t, "url": absolute(config.base_url, t["url"])} for t in view["topics"]]}


def subject(config: SiteConfig, day: str) -> str:
    return f"{config.title} - {day_label(day)}"


def render_edition(site: Site, day: Group, config: SiteConfig, env: jinja2.Environment) -> Edition:
    """The day's edition through the theme's email templates (site templates > theme > parents)."""
    context = edition_context(site, day, config)
    html = _INLINER.inline(_render(env, HTML_TEMPLATE, context)).rstrip("\n") + "\n"
    text = _render(env, TEXT_TEMPLATE, context)
    start = datetime.fromisoformat(day.slug).replace(tzinfo=config.tz)
    return Edition(day.slug, context["edition"]["subject"], start, html, text.rstrip("\n") + "\n")


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(f"template syntax error: {exc.message}", exc.filename, exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        raise ThemeError(f"template '{exc.name}' not found (while rendering the email edition)") from None
    except jinja2.TemplateError as exc:
        raise ThemeError(f"{type(exc).__name__}: {exc} (while rendering {name})") from None


def edition_message(edition: Edition, sender: str | None = None, recipient: str | None = None) -> bytes:
    """The edition as a multipart/alternative message (text, then HTML), CRLF line ends as .eml files have.

    No From or To unless given, no Message-ID: the tool that sends it adds those.
    """
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = edition.subject
    message["Date"] = format_datetime(edition.date)
    if sender:
        message["From"] = sender
    if recipient:
        message["To"] = recipient
    message.set_content(edition.text)
    message.add_alternative(edition.html, subtype="html")
    # The same edition gives the same bytes: a boundary from the content, not the random default.
    digest = hashlib.sha256(f"{edition.subject}\0{edition.text}\0{edition.html}".encode("utf-8")).hexdigest()
    message.set_boundary(f"edition-{digest[:32]}")
    return message.as_bytes()
