"""`site-builder edition`: a day's email edition as HTML (for mail clients), text and a .eml message."""

from __future__ import annotations

import email
import re
from email import policy
from html.parser import HTMLParser

from tests.judges import vnu_errors
from tests.test_browser_themes import PageWatch

IMAGE = "images:\n  - {url: 'https://img.example.com/lead.jpg', width: 1200, height: 800}\n"


def story(title: str, when: str, *, quality: int = 0, more: str = "", body: str = "") -> str:
    return (f"---\ntitle: \"{title}\"\npublishedDateTime: {when}\nwebUrl: https://example.com/{quality}\n"
            f"provider: {{name: Example Wire, domain: example.com}}\ntopics: [Science]\nquality: {quality}\n"
            f"excerpt: \"The excerpt of {title}, long enough that a seventy-two column text part has to wrap"
            f" it onto more than one line.\"\n{more}---\n{body}")


SITE = {
    "site.toml": 'title = "The Morning Wire"\nbase_url = "https://example.org/digest/"\ntimezone = "Europe/Paris"\n',
    "content/a.md": story("Alpha Leads The Day", "2024-05-01T17:00:00Z", quality=1, more=IMAGE),
    "content/b.md": story("Beta In The Middle", "2024-05-01T12:00:00Z", quality=3),
    "content/c.md": story("Gamma Starts Early", "2024-05-01T06:00:00Z", quality=2),
    "content/secret.md": story("Zebra Secret", "2024-05-01T15:00:00Z", more="published: false\n"),
    "content/d.md": story("Delta The Next Morning", "2024-05-02T07:00:00Z"),
    "content/only-hidden.md": story("Quokka Draft", "2024-04-30T10:00:00Z", more="draft: true\n"),
}
ORDER = ["Alpha Leads The Day", "Beta In The Middle", "Gamma Starts Early"]


def edition(make_site, run_cli, tmp_path, *args: str, files: dict | None = None):
    root = make_site(files or SITE)
    code, out, err = run_cli("edition", *args, "--source", root, "--out", tmp_path / "mail")
    return code, out, err, tmp_path / "mail"


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_edition_of_a_day_is_three_files_with_its_visible_items_in_edition_order(make_site, run_cli, tmp_path):
    code, out, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01")
    assert (code, err) == (0, "")
    assert out == "".join(f"{mail / ('2024-05-01.' + ext)}\n" for ext in ("html", "txt", "eml"))
    html = (mail / "2024-05-01.html").read_text()
    text = (mail / "2024-05-01.txt").read_text()

    assert re.findall(r'class="story-title"[^>]*><a [^>]*>([^<]+)</a>', html) == ORDER
    assert re.findall(r"^\d\. (.+)$", text, re.MULTILINE) == ORDER
    for part in (html, text):
        assert "Zebra" not in part and "Delta" not in part
    assert "   Example Wire - 1 May 2024, 19:00 CEST\n" in text
    assert "   https://example.org/digest/news/alpha-leads-the-day/\n" in text
    assert all(len(line) <= 72 for line in text.splitlines() if not line.strip().startswith("https://"))


def test_the_edition_order_setting_ranks_the_stories(make_site, run_cli, tmp_path):
    files = {**SITE, "site.toml": SITE["site.toml"] + 'edition_order = "quality"\n'}
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01", files=files)
    assert code == 0, err
    assert re.findall(r"^\d\. (.+)$", (mail / "2024-05-01.txt").read_text(), re.MULTILINE) == [
        "Beta In The Middle", "Gamma Starts Early", "Alpha Leads The Day"]


def test_the_html_is_made_for_mail_clients(make_site, run_cli, tmp_path):
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01")
    assert code == 0, err
    html = (mail / "2024-05-01.html").read_text()
    tags = Tags(html).tags
    names = {name for name, _ in tags}
    links = [attrs["href"] for name, attrs in tags if name == "a"]
    images = [attrs for name, attrs in tags if name == "img"]
    column = next(attrs for name, attrs in tags if name == "table" and "column" in (attrs.get("class") or ""))

    assert names.isdisjoint({"script", "form", "input", "link", "iframe"})
    assert links and all(href.startswith("https://example.org/digest/") for href in links)
    assert images == [{"class": "lead-image", "src": "https://img.example.com/lead.jpg", "width": "536",
                       "height": "357", "alt": "Alpha Leads The Day",
                       "style": "display: block;width: 100%;max-width: 536px;height: auto;margin: 0 0 14px;border: 0;"}]
    assert column["role"] == "presentation" and "width: 600px;" in column["style"]
    assert all(attrs.get("style") for name, attrs in tags if name in ("td", "h2", "p"))   # CSS inlined
    assert re.search(r'<div class="preheader" style="display: none;[^"]*">The excerpt of Alpha Leads The Day', html)
    assert "prefers-color-scheme: dark" in html      # the one rule a style attribute cannot carry


def test_the_eml_is_a_multipart_alternative_message_that_parses_back(make_site, run_cli, tmp_path):
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01")
    assert code == 0, err
    message = email.message_from_bytes((mail / "2024-05-01.eml").read_bytes(), policy=policy.default)

    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "The Morning Wire - Wednesday 1 May 2024"
    assert message["Date"] == "Wed, 01 May 2024 00:00:00 +0200"
    assert message["From"] is None and message["To"] is None
    # Mail's CRLF line ends, as .eml files have them
    parts = [(part.get_content_type(), part.get_content().replace("\r\n", "\n")) for part in message.iter_parts()]
    assert [kind for kind, _ in parts] == ["text/plain", "text/html"]
    assert parts[0][1] == (mail / "2024-05-01.txt").read_text()
    assert parts[1][1] == (mail / "2024-05-01.html").read_text()


def test_from_and_to_are_set_only_when_given_and_the_same_day_gives_the_same_bytes(make_site, run_cli, tmp_path):
    root = make_site(SITE)
    args = ("edition", "2024-05-01", "--source", root, "--from", "Desk <desk@example.org>", "--to", "r@example.org")
    assert run_cli(*args, "--out", tmp_path / "one")[0] == 0
    assert run_cli(*args, "--out", tmp_path / "two")[0] == 0
    data = (tmp_path / "one/2024-05-01.eml").read_bytes()
    message = email.message_from_bytes(data, policy=policy.default)
    assert (message["From"], message["To"]) == ("Desk <desk@example.org>", "r@example.org")
    assert data == (tmp_path / "two/2024-05-01.eml").read_bytes()


def test_without_a_date_the_latest_day_is_written(make_site, run_cli, tmp_path):
    code, out, err, mail = edition(make_site, run_cli, tmp_path)
    assert code == 0, err
    assert sorted(p.name for p in mail.iterdir()) == ["2024-05-02.eml", "2024-05-02.html", "2024-05-02.txt"]


def test_a_day_without_visible_items_is_an_error_and_writes_nothing(make_site, run_cli, tmp_path):
    code, out, err, mail = edition(make_site, run_cli, tmp_path, "2024-04-30")
    assert (code, out, err) == (1, "", "no visible items on 2024-04-30 (the latest days with items: "
                                       "2024-05-02, 2024-05-01)\n")
    assert not mail.exists()


def test_a_date_that_is_not_yyyy_mm_dd_is_a_usage_error(make_site, run_cli, tmp_path):
    code, _, err, _ = edition(make_site, run_cli, tmp_path, "1 May")
    assert code == 2
    assert err.endswith("site-builder edition: error: argument DATE: '1 May' is not a date as YYYY-MM-DD\n")


def test_the_site_overrides_the_email_templates_like_any_other(make_site, run_cli, tmp_path):
    files = {**SITE, "templates/email/edition.txt": "{% for item in items %}* {{ item.title }}\n{% endfor %}"}
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01", files=files)
    assert code == 0, err
    assert (mail / "2024-05-01.txt").read_text() == "".join(f"* {title}\n" for title in ORDER)


def test_the_email_html_passes_the_nu_checker(make_site, run_cli, tmp_path, node_tools):
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01")
    assert code == 0, err
    assert vnu_errors(mail) == []


def test_the_email_renders_at_600_px_without_horizontal_overflow(page, make_site, run_cli, tmp_path):
    code, _, err, mail = edition(make_site, run_cli, tmp_path, "2024-05-01")
    assert code == 0, err
    watch = PageWatch(page)   # the lead image is answered locally; anything else off-site is a problem
    widths = {}
    for width in (600, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content((mail / "2024-05-01.html").read_text(), wait_until="load")
        widths[width] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth,"
                                      " document.querySelector('.column').getBoundingClientRect().width]")
    assert widths[600][0] <= widths[600][1] and widths[600][2] == 600
    assert widths[375][0] <= widths[375][1]
    assert watch.problems == []
