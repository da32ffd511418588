"""Sanitized bodies are safe and valid HTML: unit cases for the repair pass, and hostile bodies judged by the Nu checker."""

from __future__ import annotations

from site_builder.stages.sanitize import sanitize_html
from tests.judges import vnu_errors

# Bodies a curator might paste, or an attacker might send; each must come out as valid HTML.
HOSTILE_BODIES = [
    """<img src=x onerror="alert('body')"> and <a href="javascript:alert(1)">a link</a>""",
    "<img><img src=''><img src=\"https://ex.org/a.png\" width=\"50%\" height=\"x\">",
    "<span><p>para</p><div>block in inline</div></span><em><ul><li>list in em</li></ul></em>",
    "<li>orphan item</li><dd>orphan dd</dd><dt>orphan dt</dt><td>cell</td><tr><th>row</th></tr>",
    "<ul>text<li>a</li><p>para in list</p>more</ul><ol start='x'><li>b</li></ol><ol start='3'><li>c</li></ol>",
    "<table><tr><td>1</td><td>2</td><td>3</td></tr><tr><td colspan=9>wide</td></tr><tr></tr>text</table>",
    "<table><tbody><tr><td>a</td></tr></tbody><thead><tr><th scope='bad'>h</th></tr></thead>"
    "<tfoot><tr><td>f</td></tr></tfoot><tbody><tr><td>b</td><td>c</td></tr></tbody><caption>late</caption></table>",
    "<time>yesterday</time><time datetime='2023-13-01'>x</time><time datetime='2023-11-01T10:00Z'>ok</time>",
    "<details><p>x</p><summary>late summary</summary></details><summary>stray</summary>"
    "<details><summary>one</summary><summary>two</summary></details>",
    "<figure><p>a</p><figcaption>middle</figcaption><p>b</p></figure><figcaption>stray</figcaption>",
    "<a href='http://exa mple.com/a b'>x</a> <a href='http://%zz'>y</a> <a href='/rel%zz'>z</a> "
    "<a href='mailto:nobody'>m</a> <a>bare</a> <a href='https://ok.example/a?b=1&c=2#d'>ok</a>",
    "<h2><div>div in heading</div></h2><p><h3>heading in p</h3></p><pre><p>p in pre</p></pre>",
    "<div id='x'>one</div><div id='x'>two</div><p id=x class=y style='color:red' onclick='x()'>attrs</p>",
    "<dl><dd>a</dd><dt>b</dt></dl><dl>loose text<dt>t</dt><dd>d</dd></dl><dl><dt>ok</dt><dd>fine</dd></dl>",
    "<p>a<a href='https://x.org'>l<div>b</div></a>c</p><a href='https://x.org'><details>d</details></a>",
    "<script>alert(1)</script><style>p{}</style><iframe src='https://x.org'></iframe><form><input></form>",
    "<q cite='javascript:x'>q</q><blockquote cite='http://bad host/'>bq</blockquote><abbr title='t'>A</abbr>",
    "<b><i>mis</b>nested</i> <table><td>no row</td></table> <caption>alone</caption> <hr><br></br>",
    "<svg><circle r=1 /></svg><math><mi>x</mi></math><object data='x'></object><!-- comment --><![CDATA[x]]>",
    "<figure><figcaption>a</figcaption><figcaption>b</figcaption></figure><table><caption><table><tr><td>x"
    "</td></tr></table></caption><tr><td>1</td></tr></table>",
    "<h1>h1</h1><h6>h6 after h1</h6><h3>h3</h3><h5>skips</h5>\n\n# Markdown h1\n\n#### h4 after it",
    "<a href='http://user:pw@x.org/'>credentials</a> <a href='https://x.org/#a#b'>two hashes</a> "
    "<a href='https://bücher.example/'>idn</a> <a href='http://[::1]/'>v6</a> <a href='https://x.org/a b?c=d e'>sp</a>",
        "<table><tr><th><h2>heading in th</h2></th></tr></table><a href='https://x.org'><p><a href='https://y.org'>"
    "link in link</a></p></a>",
        "<iframe><dl><header>raw text</header></dl></iframe><b>after</b> <noscript><p>x</p></noscript>",
    "```\n<p>code</p>\n```\n\n| a | b |\n|---|:-:|\n| 1 |\n| 1 | 2 | 3 |\n\n* [link](javascript:x)\n* ![img](x.png)",
]


def test_an_img_gets_an_empty_alt_and_a_javascript_link_becomes_its_words():
    html = sanitize_html("""<img src=x onerror="alert('body')"> and <a href="javascript:alert(1)">a link</a>""")

    assert html == '<img src="x" alt=""> and a link'


def test_elements_in_the_wrong_place_are_renamed_or_unwrapped_and_keep_their_words():
    assert sanitize_html("<span><p>para</p></span>") == "<span>para</span>"
    assert sanitize_html("<li>orphan</li>") == "<div>orphan</div>"
    assert sanitize_html("<ul>text<li>a</li></ul>") == "<ul><li>text</li><li>a</li></ul>"
    assert sanitize_html("<time>yesterday</time>") == "<span>yesterday</span>"
    assert sanitize_html("<details><p>x</p><summary>s</summary></details>") == \
        "<details><summary>Details</summary><p>x</p><div>s</div></details>"


def test_headings_start_at_h2_and_never_skip_a_level():
    html = sanitize_html("<h1>a</h1><h4>b</h4><h6>c</h6><h3>d</h3><h2>e</h2>")

    assert html == "<h2>a</h2><h3>b</h3><h4>c</h4><h3>d</h3><h2>e</h2>"


def test_text_before_the_first_tag_stays_escaped():
    html = sanitize_html("<iframe><script>alert(1)</script></iframe><b>x</b> &lt;i&gt;")

    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;<b>x</b> &lt;i&gt;"


def test_table_rows_are_made_equally_wide():
    html = sanitize_html("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>")

    assert html == "<table><tbody><tr><td>1</td><td>2</td></tr><tr><td>3</td><td></td></tr></tbody></table>"


def test_urls_the_checker_refuses_are_encoded_or_dropped():
    html = sanitize_html("<a href='http://exa mple.com/'>x</a> <a href='/a b%zz'>y</a>")

    assert html == 'x <a href="/a%20b%25zz" rel="noopener noreferrer">y</a>'


def test_hostile_bodies_build_into_valid_html(tmp_path, node_tools, make_site, run_cli):
    files = {f"content/hostile-{n:02d}.md": f"---\ntitle: Hostile body {n}\ndate: 2024-01-{n + 1:02d}\n"
                                            f"topics: [Security]\n---\n{body}\n"
             for n, body in enumerate(HOSTILE_BODIES)}
    site = make_site(files)

    code, _, err = run_cli("build", "--source", site, "--output", tmp_path / "out")

    assert code == 0, err
    item = (tmp_path / "out" / "news" / "hostile-body-0" / "index.html").read_text()
    assert '<img src="x" alt=""> and a link' in item
    assert "alert" not in item
    for page in (tmp_path / "out" / "news").rglob("index.html"):
        body = page.read_text().split('<div class="story-body">', 1)[1].split("</article>", 1)[0]
        for raw in ("<script", "<iframe", "<header>raw", "<style", " onerror=", " onclick=", "javascript:"):
            assert raw not in body, (page, raw)
    errors = vnu_errors(tmp_path / "out")
    assert errors == [], "Nu HTML checker errors:\n" + "\n".join(errors)
