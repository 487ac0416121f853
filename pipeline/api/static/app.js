// quotewire search page. Plain JavaScript, no build step, no external assets.
// The URL is the state: every search is a shareable link (/?person=Antonov&country=RU&offset=20).
// All text from the index is inserted with textContent, never as HTML.
"use strict";

(() => {
  const FILTERS = ["person", "country", "text", "since", "until", "source", "kind", "language", "mentioned"];
  const PAGE_SIZE = 20;
  const LABELS = {
    person: "Person", country: "Country", text: "Words", since: "From", until: "Until",
    source: "Source", kind: "Kind", language: "Language", mentioned: "Mentioned countries",
  };
  const KIND_LABELS = { direct: "Direct quote", mixed: "Partial quote", indirect: "Reported speech" };
  const dateFormat = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
  });

  const $ = (id) => document.getElementById(id);
  const form = $("search");
  const cards = $("cards");
  const results = $("results");
  let countryNames = new Map();  // ISO code -> name, for badges and chips
  let lastResponse = null;
  let inflight = null;  // AbortController of the running search
  let searchSeq = 0;
  let lastSearchUrl = null;  // the filters of the results on the page, as a URL

  // ---- state <-> URL <-> form ----------------------------------------------------------------

  function stateFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const state = {};
    for (const name of FILTERS) {
      const value = params.get(name);
      if (value !== null && value.trim() !== "") state[name] = value.trim();
    }
    const offset = parseInt(params.get("offset") || "0", 10);
    state.offset = Number.isFinite(offset) && offset > 0 ? offset : 0;
    return state;
  }

  function urlFromState(state) {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    if (state.offset) params.set("offset", String(state.offset));
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  function stateFromForm() {
    const data = new FormData(form);
    const state = { offset: 0 };
    for (const name of FILTERS) {
      const value = data.get(name);
      if (typeof value === "string" && value.trim() !== "") state[name] = value.trim();
    }
    return state;
  }

  function fillForm(state) {
    for (const name of FILTERS) {
      const input = form.elements.namedItem(name);
      if (!input) continue;
      if (input.type === "checkbox") input.checked = state[name] === "true";
      else input.value = state[name] || "";
      input.removeAttribute("aria-invalid");
    }
    // Keep the extra filters visible when one of them is in use.
    if (["since", "until", "source", "kind", "language", "mentioned"].some((name) => state[name])) {
      $("more").open = true;
    }
  }

  function navigate(state, { replace = false } = {}) {
    const url = urlFromState(state);
    if (replace) history.replaceState(null, "", url);
    else if (url !== window.location.pathname + window.location.search) history.pushState(null, "", url);
    fillForm(state);
    return search(state);
  }

  // ---- API key (only when the server asks for one) ---------------------------------------------

  const KEY_STORE = "quotewire-api-key";  // this tab only (sessionStorage): closing it forgets the key

  function apiFetch(url, options = {}) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers["X-API-Key"] = key;
    return fetch(url, { ...options, headers });
  }

  function showKeyPrompt(detail) {
    const notice = $("notice");
    notice.className = "notice error";
    const input = el("input", { id: "api-key", type: "password", autocomplete: "off", spellcheck: "false" });
    const hadKey = Boolean(sessionStorage.getItem(KEY_STORE));
    notice.replaceChildren(
      el("h2", { text: "This server needs an API key" }),
      el("p", { text: hadKey ? "The key given was not accepted. Check it and try again." : "Ask the people who run it for a key; it is kept in this tab only." }),
      el("form", {
        className: "key-form",
        onsubmit: (event) => {
          event.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          sessionStorage.setItem(KEY_STORE, key);
          loadCountries();
          search(stateFromUrl());
        },
      }, el("label", { for: "api-key", text: "API key" }), input, el("button", { type: "submit", text: "Use key" })),
      typeof detail === "string" ? el("p", { className: "technical", text: detail }) : null);
    notice.hidden = false;
    $("summary").textContent = "API key needed";
    clearFacets();
    cards.replaceChildren();
    $("pager").hidden = true;
    if (hadKey) sessionStorage.removeItem(KEY_STORE);
    input.focus();
  }

  // ---- search --------------------------------------------------------------------------------

  async function search(state) {
    const seq = ++searchSeq;
    lastSearchUrl = urlFromState(state);
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const params = new URLSearchParams();
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    params.set("limit", String(PAGE_SIZE));
    params.set("offset", String(state.offset || 0));

    results.setAttribute("aria-busy", "true");
    hideFormError();
    try {
      await runSearch(params, seq, inflight.signal, state);
    } finally {
      // Busy until the answer is on the page (a newer search keeps it busy for itself).
      if (seq === searchSeq) results.removeAttribute("aria-busy");
    }
  }

  async function runSearch(params, seq, signal, state) {
    let response;
    try {
      response = await apiFetch(`/quotes?${params}`, { signal });
    } catch (error) {
      if (error.name === "AbortError") return;
      if (seq === searchSeq) showServiceError("The search service did not answer. Is quotewire serve running?");
      return;
    }
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (seq !== searchSeq) return;
    if (response.ok && body) {
      lastResponse = body;
      render(state, body);
    } else if (response.status === 422 && body) {
      showFormError(body);
      clearFacets();
      renderEmpty(null, "Nothing was searched: fix the highlighted field above and search again.");
    } else if (response.status === 401) {
      showKeyPrompt(body && body.detail);
    } else if (response.status === 429) {
      const wait = response.headers.get("Retry-After");
      showServiceError(`Too many searches from here in a short time. Try again${wait ? ` in ${wait} s` : " in a moment"}.`,
        body && body.detail, "Slow down");
    } else if (response.status === 503) {
      showServiceError("quotewire cannot reach its search index right now. Try again in a moment.", body && body.detail);
    } else {
      showServiceError(`The search service failed (HTTP ${response.status}).`, body && body.detail);
    }
  }

  // ---- rendering -----------------------------------------------------------------------------

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function formatDate(value) {
    if (!value) return "";
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
  }

  function countryLabel(code) {
    if (!code) return "";
    return countryNames.get(code) || code;
  }

  // Only web addresses become links: a url from the wire may say "javascript:" (the API drops such
  // urls too; this is the page's own check, for any other server it is pointed at).
  function webUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? value : null;
    } catch {
      return null;
    }
  }

  function plural(count, word) {
    return `${count.toLocaleString("en")} ${word}${count === 1 ? "" : "s"}`;
  }

  function render(state, body) {
    $("notice").hidden = true;
    renderSummary(body);
    renderChips(state, body);
    renderFacets(state, body.facets);
    cards.replaceChildren(...body.quotes.map((quote) => renderCard(quote)));
    renderPager(body);
    if (body.total === 0) {
      const active = FILTERS.filter((name) => state[name]);
      renderEmpty(
        "No quotes match",
        active.length > 1
          ? "Try removing a filter: each one narrows the search."
          : "Try a surname only, another spelling, or fewer words.",
      );
    }
  }

  function renderSummary(body) {
    const first = body.total === 0 ? 0 : body.offset + 1;
    const last = body.offset + body.quotes.length;
    const total = body.total_is_exact === false ? `${body.total.toLocaleString("en")}+` : body.total.toLocaleString("en");
    $("summary").textContent = body.total === 0
      ? "No quotes found"
      : `${body.total === 1 ? "1 quote" : `${total} quotes`}${body.total > body.quotes.length ? ` · showing ${first}–${last}` : ""}`;
    document.title = body.total === 0 ? "No quotes — quotewire" : `${total} quotes — quotewire`;
  }

  function renderChips(state, body) {
    const chips = $("chips");
    const echo = body.query || {};
    const nodes = [];
    for (const name of FILTERS) {
      if (!state[name]) continue;
      let value = state[name];
      if (name === "country" && echo.country) {
        value = echo.country_name ? `${echo.country_name} (${echo.country})` : echo.country;
      }
      if (name === "kind") value = KIND_LABELS[value] || value;
      if (name === "mentioned") value = "included";
      if (name === "since" || name === "until") value = formatDate(value) || value;
      nodes.push(el("span", { className: "chip", "data-filter": name },
        el("span", {}, `${LABELS[name]}: `, el("b", { text: value })),
        el("button", {
          type: "button", "aria-label": `Remove ${LABELS[name].toLowerCase()} filter`, text: "×",
          onclick: () => { const next = { ...state, offset: 0 }; delete next[name]; navigate(next); },
        })));
    }
    if (nodes.length > 1) {
      nodes.push(el("button", {
        type: "button", className: "chip-clear", text: "Clear all", onclick: () => navigate({ offset: 0 }),
      }));
    }
    chips.replaceChildren(...nodes);
  }

  function facetButton(label, count, max, pressed, onclick, title) {
    const bar = el("span", { className: "bar" });
    bar.style.width = `${Math.max(4, Math.round((count / max) * 100))}%`;
    return el("li", {},
      el("button", {
        type: "button", className: "facet-button", "aria-pressed": pressed ? "true" : "false",
        title, onclick,
      }, el("span", { className: "name", text: label }), el("span", { className: "count", text: count.toLocaleString("en") }), bar));
  }

  function renderFacets(state, facets) {
    document.querySelector(".facets").hidden = !facets;
    $("refine-toggle").hidden = !facets;
    if (!facets) return;
    const speakers = facets.speakers || [];
    const maxSpeaker = Math.max(1, ...speakers.map((b) => b.count));
    const current = (state.person || "").toLowerCase();
    $("facet-speakers").replaceChildren(...(speakers.length
      ? speakers.map((b) => facetButton(b.value, b.count, maxSpeaker, b.value.toLowerCase() === current,
        () => navigate({ ...state, person: b.value, offset: 0 }), `Show quotes by ${b.value}`))
      : [el("li", { className: "facet-empty", text: "No named speakers" })]));

    const countries = facets.countries || [];
    for (const b of countries) if (b.label) countryNames.set(b.value, b.label);
    const maxCountry = Math.max(1, ...countries.map((b) => b.count));
    const echoed = lastResponse && lastResponse.query ? lastResponse.query.country : null;
    $("facet-countries").replaceChildren(...(countries.length
      ? countries.map((b) => facetButton(b.label ? `${b.label} (${b.value})` : b.value, b.count, maxCountry,
        b.value === echoed, () => navigate({ ...state, country: b.value, offset: 0 }),
        `Show quotes by speakers from ${b.label || b.value}`))
      : [el("li", { className: "facet-empty", text: "No speaker countries" })]));

    const sources = facets.sources || [];
    const maxSource = Math.max(1, ...sources.map((b) => b.count));
    const currentSource = (state.source || "").toLowerCase();
    $("facet-sources").replaceChildren(...(sources.length
      ? sources.map((b) => facetButton(b.value, b.count, maxSource, b.value.toLowerCase() === currentSource,
        () => navigate({ ...state, source: b.value, offset: 0 }), `Show quotes from ${b.value}`))
      : [el("li", { className: "facet-empty", text: "No sources" })]));

    renderTimeline(state, facets.over_time || []);
  }

  // Quotes over time. Dates can span decades with nothing between (a 1987 archive, last month's wire):
  // bars placed on a linear axis would be slivers. So a long span is summed into years, every bucket
  // with quotes gets an equal bar in date order, and a break mark stands where time was skipped.
  const MAX_MONTH_SPAN = 36;  // months: beyond three years, years read better than months

  function coarsen(buckets) {
    const first = new Date(buckets[0].start);
    const last = new Date(buckets[buckets.length - 1].start);
    const months = (last.getUTCFullYear() - first.getUTCFullYear()) * 12 + last.getUTCMonth() - first.getUTCMonth();
    if (months <= MAX_MONTH_SPAN) return buckets;
    const years = new Map();
    for (const b of buckets) {
      const year = b.start.slice(0, 4);
      const sum = years.get(year) || { start: `${year}-01-01`, end: `${year}-12-31`, count: 0, year: true };
      sum.count += b.count;
      years.set(year, sum);
    }
    return [...years.values()];
  }

  function adjacent(previous, next) {
    // The day after previous ends is where next starts: no time skipped between them.
    const after = new Date(Date.parse(previous.end || previous.start) + 86400000).toISOString().slice(0, 10);
    return after >= next.start;
  }

  function bucketLabel(b) {
    if (b.year) return b.start.slice(0, 4);
    return `${formatDate(b.start)}${b.end && b.end !== b.start ? ` – ${formatDate(b.end)}` : ""}`;
  }

  function renderTimeline(state, raw) {
    const box = $("facet-time");
    const range = box.nextElementSibling && box.nextElementSibling.classList.contains("timeline-range")
      ? box.nextElementSibling : null;
    if (range) range.remove();
    if (!raw.length) {
      box.replaceChildren(el("p", { className: "facet-empty", text: "No dated quotes" }));
      return;
    }
    const buckets = coarsen(raw);
    const max = Math.max(1, ...buckets.map((b) => b.count));
    const nodes = [];
    buckets.forEach((b, i) => {
      if (i > 0 && !adjacent(buckets[i - 1], b)) {
        nodes.push(el("span", { className: "gap", title: "time with no quotes", "aria-hidden": "true" }));
      }
      const label = `${bucketLabel(b)}: ${plural(b.count, "quote")}`;
      const tick = el("button", {
        type: "button", className: "tick", title: label, "aria-label": label,
        onclick: () => navigate({ ...state, since: b.start, until: b.end || b.start, offset: 0 }),
      }, el("span", { className: "bar" }));
      // A floor of 10%: one quote beside hundreds is still a bar one can see and hit.
      tick.firstChild.style.height = `${Math.max(10, Math.round((b.count / max) * 100))}%`;
      nodes.push(tick);
    });
    box.replaceChildren(...nodes);
    const last = buckets[buckets.length - 1];
    box.after(el("div", { className: "timeline-range" },
      el("span", { text: buckets[0].year ? buckets[0].start.slice(0, 4) : formatDate(buckets[0].start) }),
      el("span", { text: last.year ? last.start.slice(0, 4) : formatDate(last.end || last.start) })));
  }

  function highlighted(text, spans) {
    const out = document.createDocumentFragment();
    let at = 0;
    const sorted = [...(spans || [])].sort((a, b) => a.start - b.start);
    for (const span of sorted) {
      const start = Math.max(span.start, at);
      const end = Math.min(span.end, text.length);
      if (end <= start) continue;
      if (start > at) out.append(text.slice(at, start));
      out.append(el("mark", { text: text.slice(start, end) }));
      at = end;
    }
    if (at < text.length) out.append(text.slice(at));
    return out;
  }

  function renderCard(quote) {
    const node = $("card-template").content.firstElementChild.cloneNode(true);
    node.dataset.quoteId = quote.id;
    const block = node.querySelector(".quote");
    block.classList.add(quote.kind);
    block.append(highlighted(quote.text, quote.highlights));

    const speaker = quote.speaker || {};
    const who = node.querySelector(".speaker");
    if (speaker.name) {
      who.textContent = speaker.name;
      who.title = `Show quotes by ${speaker.name}`;
      who.addEventListener("click", () => navigate({ ...stateFromUrl(), person: speaker.name, offset: 0 }));
    } else {
      who.textContent = speaker.mention ? `Unresolved: “${speaker.mention}”` : "Unknown speaker";
      who.classList.add("unknown");
      who.disabled = true;
    }
    const cue = node.querySelector(".cue");
    if (quote.cue) cue.textContent = quote.cue; else cue.remove();
    const role = node.querySelector(".role");
    if (speaker.role) role.textContent = speaker.role; else role.remove();

    const country = node.querySelector(".country");
    if (speaker.country) {
      const name = speaker.country_name || countryLabel(speaker.country);
      country.textContent = speaker.country;
      country.title = `${name}: show quotes by speakers from ${name}`;
      country.setAttribute("aria-label", `Country ${name}; show quotes by speakers from ${name}`);
      country.addEventListener("click", () => navigate({ ...stateFromUrl(), country: speaker.country, offset: 0 }));
    } else {
      country.remove();
    }
    node.querySelector(".kind").textContent = KIND_LABELS[quote.kind] || quote.kind;

    const article = quote.article || {};
    const source = node.querySelector(".source");
    if (article.source) source.textContent = article.source; else source.remove();
    const language = node.querySelector(".language");
    if (article.language && article.language !== "en") {
      language.textContent = article.language === "und" ? "language unknown" : article.language.toUpperCase();
      language.title = "Language detected at ingest; quotes are found in English text only";
    } else {
      language.remove();
    }
    const date = node.querySelector(".date");
    if (article.published) {
      date.dateTime = article.published;
      date.textContent = formatDate(article.published);
      if (article.date_estimated) {
        // An undated article sits on the timeline at the time it was received: say so.
        date.textContent = `received ${date.textContent}`;
        date.title = "The article gave no date; this is when quotewire received it";
      }
    } else {
      date.remove();
    }
    const headline = node.querySelector(".headline");
    if (article.headline) { headline.textContent = article.headline; headline.title = article.headline; }
    else headline.remove();
    const mentions = node.querySelector(".mentions");
    const others = (quote.countries || []).filter((code) => code !== speaker.country);
    if (others.length) mentions.textContent = `mentions ${others.map(countryLabel).join(", ")}`;
    else mentions.remove();

    const context = node.querySelector(".context");
    context.title = article.headline ? `Read “${article.headline}” with its quotes marked` : "Read the article";
    context.addEventListener("click", () => openArticle(article.id, quote.id));
    const original = node.querySelector(".original");
    const link = webUrl(article.url);
    if (link) original.href = link; else original.remove();
    return node;
  }

  function renderPager(body) {
    const pager = $("pager");
    const pages = Math.ceil(body.total / body.limit);
    if (pages <= 1) { pager.hidden = true; return; }
    pager.hidden = false;
    const page = Math.floor(body.offset / body.limit) + 1;
    $("page-info").textContent = `Page ${page} of ${pages.toLocaleString("en")}`;
    $("prev").disabled = body.offset === 0;
    $("next").disabled = body.offset + body.limit >= Math.min(body.total, body.max_offset ?? Infinity);
  }

  function page(direction) {
    if (!lastResponse || $("pager").hidden) return;
    const button = direction > 0 ? $("next") : $("prev");
    if (button.disabled) return;
    const state = stateFromUrl();
    state.offset = Math.max(0, (state.offset || 0) + direction * PAGE_SIZE);
    navigate(state).then(() => results.focus());
  }

  function renderEmpty(title, hint) {
    const notice = $("notice");
    notice.className = "notice";
    notice.replaceChildren(...(title ? [el("h2", { text: title })] : []), el("p", { text: hint }));
    notice.hidden = false;
    cards.replaceChildren();
    $("pager").hidden = true;
  }

  function clearFacets() {
    document.querySelector(".facets").hidden = true;
    $("refine-toggle").hidden = true;
    for (const id of ["facet-speakers", "facet-countries", "facet-sources", "facet-time", "chips"]) {
      $(id).replaceChildren();
    }
    const range = $("facet-time").nextElementSibling;
    if (range && range.classList.contains("timeline-range")) range.remove();
  }

  function showServiceError(message, detail, title = "Search is unavailable") {
    const notice = $("notice");
    notice.className = "notice error";
    const technical = typeof detail === "string" && detail
      ? el("details", {}, el("summary", { text: "Details for the operator" }), el("p", { className: "technical", text: detail }))
      : null;
    notice.replaceChildren(
      el("h2", { text: title }),
      el("p", { text: message }),
      technical,
      el("button", { type: "button", text: "Try again", onclick: () => search(stateFromUrl()) }));
    notice.hidden = false;
    $("summary").textContent = title;
    clearFacets();
    cards.replaceChildren();
    $("pager").hidden = true;
  }

  function showFormError(body) {
    const box = $("form-error");
    const problems = Array.isArray(body.detail) ? body.detail : [];
    const messages = problems.map((p) => {
      const field = Array.isArray(p.loc) ? p.loc[p.loc.length - 1] : null;
      const input = field ? form.elements.namedItem(field) : null;
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      return `${LABELS[field] || field || "Search"}: ${p.msg}`;
    });
    box.textContent = messages.length ? messages.join(" · ") : (body.message || "Invalid search");
    box.hidden = false;
    $("summary").textContent = "Check the filters";
  }

  function hideFormError() {
    $("form-error").hidden = true;
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  // ---- article in context --------------------------------------------------------------------

  // The open article is part of the URL (?...&article=ID&quote=QUOTE_ID): a link to it opens it, and
  // Back closes it. Its filters stay in the URL, so closing it shows the same results.
  function articleFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const id = params.get("article");
    return id ? { id, quote: params.get("quote") } : null;
  }

  function urlWithArticle(article) {
    const params = new URLSearchParams(window.location.search);
    params.delete("article");
    params.delete("quote");
    if (article) {
      params.set("article", article.id);
      if (article.quote) params.set("quote", article.quote);
    }
    const query = params.toString();
    return query ? `/?${query}` : "/";
  }

  async function openArticle(id, quoteId, { push = true } = {}) {
    const dialog = $("article");
    if (push) history.pushState({ article: true }, "", urlWithArticle({ id, quote: quoteId }));
    dialog.dataset.articleId = id;
    const quote = quoteId ? { id: quoteId } : null;
    $("article-title").textContent = "Loading…";
    $("article-meta").textContent = "";
    $("article-links").replaceChildren();
    $("article-body").replaceChildren();
    if (!dialog.open) dialog.showModal();
    let body = null;
    try {
      const response = await apiFetch(`/articles/${encodeURIComponent(id)}`);
      body = response.ok ? await response.json() : null;
      if (!response.ok) {
        $("article-title").textContent = response.status === 404 ? "Article not found" : "Could not load the article";
        return;
      }
    } catch {
      $("article-title").textContent = "Could not load the article";
      return;
    }
    $("article-title").textContent = body.headline || `Article ${body.id}`;
    $("article-meta").textContent = [body.source, formatDate(body.published), plural(body.quotes.length, "quote")]
      .filter(Boolean).join(" · ");
    const links = [el("a", { href: `/articles/${encodeURIComponent(body.id)}`, text: "JSON" })];
    const original = webUrl(body.url);
    if (original) links.unshift(el("a", { href: original, target: "_blank", rel: "noopener noreferrer", text: "Original ↗" }), " · ");
    $("article-links").replaceChildren(...links);
    const paragraphs = articleParagraphs(body.text, body.quotes, quote);
    $("article-body").replaceChildren(...paragraphs);
    const current = $("article-body").querySelector(".q.current");
    if (current) current.scrollIntoView({ block: "center" });
  }

  // Split the article into paragraphs and mark every quote span; spans may cross paragraphs.
  function articleParagraphs(text, quotes, currentQuote) {
    // Quotes the API could not locate in the text (start null) are listed nowhere rather than misplaced.
    const spans = quotes.filter((q) => q.start !== null && q.end !== null).sort((a, b) => a.start - b.start);
    const paragraphs = [];
    const breaks = /\n\s*\n|\n/g;
    let from = 0;
    const ranges = [];
    for (const match of text.matchAll(breaks)) {
      ranges.push([from, match.index]);
      from = match.index + match[0].length;
    }
    ranges.push([from, text.length]);
    for (const [pStart, pEnd] of ranges) {
      if (!text.slice(pStart, pEnd).trim()) continue;
      const p = el("p");
      let at = pStart;
      for (const quote of spans) {
        const start = Math.max(quote.start, at);
        const end = Math.min(quote.end, pEnd);
        if (end <= start) continue;
        if (start > at) p.append(text.slice(at, start));
        const isCurrent = Boolean(currentQuote) && quote.id === currentQuote.id;
        const who = quote.speaker && quote.speaker.name ? quote.speaker.name : "unknown speaker";
        p.append(el("span", { className: isCurrent ? "q current" : "q", title: `${who} (${quote.kind})`, text: text.slice(start, end) }));
        if (quote.end <= pEnd) p.append(el("span", { className: "who", text: quote.cue ? `${who} · ${quote.cue}` : who }));
        at = end;
      }
      if (at < pEnd) p.append(text.slice(at, pEnd));
      paragraphs.push(p);
    }
    return paragraphs;
  }

  // ---- suggestions ---------------------------------------------------------------------------

  let peopleTimer = null;
  let peopleSeq = 0;
  function suggestPeople() {
    clearTimeout(peopleTimer);
    const prefix = $("f-person").value.trim();
    if (prefix.length < 2) return;
    // A short pause so typing a name sends one request, not one per key.
    peopleTimer = setTimeout(async () => {
      const seq = ++peopleSeq;
      try {
        const response = await apiFetch(`/people?${new URLSearchParams({ prefix, limit: "10" })}`);
        if (!response.ok || seq !== peopleSeq) return;
        const body = await response.json();
        $("people-list").replaceChildren(...body.people.map((p) =>
          el("option", { value: p.name, label: `${plural(p.count, "quote")}${p.country ? ` · ${p.country}` : ""}` })));
      } catch { /* suggestions are optional */ }
    }, 150);
  }

  async function loadCountries() {
    try {
      const response = await apiFetch("/countries");
      if (!response.ok) return;
      const body = await response.json();
      for (const c of body.countries) countryNames.set(c.code, c.name);
      $("country-list").replaceChildren(...body.countries.map((c) =>
        el("option", { value: c.name, label: `${c.code} · ${plural(c.count, "quote")}` })));
    } catch { /* the datalist is a convenience */ }
  }

  // ---- wiring --------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(stateFromForm());
  });
  $("f-person").addEventListener("input", suggestPeople);
  for (const button of form.querySelectorAll("button.range")) {
    button.addEventListener("click", () => {
      // Whole UTC days (the index's time zone), today included: "last 7 days" is today and 6 before.
      const days = button.dataset.days;
      const state = { ...stateFromForm(), offset: 0 };
      delete state.until;
      if (days === "") delete state.since;
      else state.since = new Date(Date.now() - Number(days) * 86400000).toISOString().slice(0, 10);
      navigate(state);
    });
  }
  $("refine-toggle").addEventListener("click", () => {
    const open = $("facets").classList.toggle("open");
    $("refine-toggle").setAttribute("aria-expanded", String(open));
  });
  $("prev").addEventListener("click", () => page(-1));
  $("next").addEventListener("click", () => page(1));
  window.addEventListener("popstate", () => {
    const state = stateFromUrl();
    const wanted = articleFromUrl();
    const dialog = $("article");
    if (wanted && (!dialog.open || dialog.dataset.articleId !== wanted.id)) openArticle(wanted.id, wanted.quote, { push: false });
    else if (!wanted && dialog.open) dialog.close();
    // Only the article changed: the results on the page are already the URL's.
    if (urlFromState(state) === lastSearchUrl) return;
    fillForm(state);
    search(state);
  });
  $("article").addEventListener("close", () => {
    if (!articleFromUrl()) return;  // closed by Back: the URL is already right
    if (history.state && history.state.article) history.back();
    else history.replaceState(null, "", urlWithArticle(null));  // opened from a shared link
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
    if (typing || $("article").open) return;
    if (event.key === "/") { event.preventDefault(); $("f-person").focus(); $("f-person").select(); }
    else if (event.key === "n") page(1);
    else if (event.key === "p") page(-1);
  });

  const initial = stateFromUrl();
  fillForm(initial);
  // Country names first (one small request) so the first cards show names, not only codes.
  loadCountries().finally(() => search(initial));
  const linked = articleFromUrl();
  if (linked) openArticle(linked.id, linked.quote, { push: false });
})();
