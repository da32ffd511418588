// The search page: asks the Pagefind index in /pagefind/ (made by the build) and lists the stories found.
// Everything is fetched from this site, relative to the page, so it works under any base_url path.
// The index is sharded by month: pagefind/shards.json lists the shard folders, newest first; the newest
// is the primary index and the others are merged into it, so a search covers every month.
const form = document.querySelector("form[data-pagefind]");
const input = form.querySelector("input[name=q]");
const order = form.querySelector("select[name=order]");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const root = new URL(form.dataset.root, document.baseURI);
const LIMIT = 30;
// baseUrl "/": result URLs stay the site paths the build indexed; resultItem puts them under the site root.
const OPTIONS = { baseUrl: "/", excerptLength: 30 };
let pagefind = null;

async function load() {
  const script = new URL(form.dataset.pagefind, document.baseURI);
  const response = await fetch(new URL("shards.json", script), { cache: "no-cache" });  // a new month appears
  if (!response.ok) throw new Error(`shards.json: HTTP ${response.status}`);
  const shards = (await response.json()).map((folder) => new URL(folder, script).href);
  if (shards.length === 0) return null;  // no stories yet: nothing to search
  const engine = await import(script.href);
  await engine.options({ ...OPTIONS, basePath: shards[0] });
  // In this order: a search sorted by date lists the newest shard's results first (stages/search.py).
  for (const shard of shards.slice(1)) await engine.mergeIndex(shard, OPTIONS);
  return engine;
}

function engine() {
  if (pagefind === null) pagefind = load().catch((error) => { pagefind = null; throw error; });
  return pagefind;
}

async function searchAll(words, options) {
  const found = await engine();
  if (found === null) return { results: [] };
  return found.debouncedSearch(words, options);
}

function resultItem(data) {
  const li = document.createElement("li");
  li.className = "search-result";
  const link = document.createElement("a");
  link.className = "search-result-title";
  link.href = new URL(data.url.replace(/^\//, ""), root).href;
  link.textContent = data.meta.title || data.url;
  li.append(link);
  const facts = [data.meta.provider, data.meta.date].filter(Boolean);
  if (facts.length) {
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = facts.join(" · ");
    li.append(meta);
  }
  const excerpt = document.createElement("p");
  excerpt.className = "search-excerpt";
  excerpt.innerHTML = data.excerpt;  // Pagefind's excerpt: the page's own text, escaped, with <mark> around matches
  li.append(excerpt);
  return li;
}

async function run(query) {
  const words = query.trim();
  const url = new URL(location.href);
  if (words) url.searchParams.set("q", words); else url.searchParams.delete("q");
  if (order.value) url.searchParams.set("order", order.value); else url.searchParams.delete("order");
  history.replaceState(null, "", url);
  if (!words) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  // "date" is the sort key the item pages give (partials/search_record.html).
  const search = await searchAll(words, order.value === "newest" ? { sort: { date: "desc" } } : {});
  if (search === null) return;  // a newer query replaced this one
  const found = await Promise.all(search.results.slice(0, LIMIT).map((r) => r.data()));
  list.replaceChildren(...found.map(resultItem));
  const n = search.results.length;
  status.textContent = n === 0 ? `No stories match “${words}”.`
    : `${n} ${n === 1 ? "story matches" : "stories match"} “${words}”${n > LIMIT ? `; the first ${LIMIT} are shown` : ""}.`;
}

function failed(error) {
  status.textContent = "Search is not available right now. Every story is in the archive.";
  console.error(error);
}

form.addEventListener("submit", (event) => { event.preventDefault(); run(input.value).catch(failed); });
input.addEventListener("input", () => { run(input.value).catch(failed); });
order.addEventListener("change", () => { run(input.value).catch(failed); });
const params = new URLSearchParams(location.search);
const initial = params.get("q");
order.value = params.get("order") === "newest" ? "newest" : "";
if (initial) {
  input.value = initial;
  run(initial).catch(failed);
}
